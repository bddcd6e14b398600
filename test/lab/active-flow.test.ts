// --active sends the flow itself: from inside the source pod's network namespace (found through
// /proc by the probe pod, hostPID; the API server double publishes the lab pods as processes, see
// test/apiserver/pod-processes.ts), answered by a listener in the destination pod's, and watched
// by tcpdump on every device the engine's traces cross. Real packets in a Calico VXLAN lab cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeIds, clusterFor } from './active-cluster.ts';
import { labUnsupportedReason } from './harness/index.ts';
import { calicoHealthy } from './incidents/base.ts';

const skip = (await labUnsupportedReason()) ?? false;
const P2P = ['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080'];

describe('--active sends the flow itself (Calico VXLAN lab)', { skip, concurrency: false }, () => {
  const cl = clusterFor(calicoHealthy);

  it('healthy: answered by the listener in web-0, every device of both traces captured it', async () => {
    await cl().filter([]);
    const r = await cl().cli([...P2P, '--active']);
    const f = r.doc.active!.flow!;
    assert.equal(f.state, 'answered', JSON.stringify(f, null, 1));
    assert.deepEqual(f.listener, { received: 2 });
    assert.deepEqual(activeIds(r.doc), []);
    for (const t of r.doc.traces)
      for (const h of t.hops.filter((x) => x.device !== undefined))
        assert.equal(h.observed, 'captured', `${t.direction} ${h.node} ${h.device} ${h.step}`);
    assert.deepEqual(
      f.forward.map((x) => `${x.node} ${x.dev} ${x.state}${x.outer !== undefined ? ` ${x.outer}` : ''}`),
      [
        'node-a cali56a6d256ab4 captured',
        'node-a vxlan.calico captured',
        'node-a eth0 captured VXLAN 192.168.1.11 → 192.168.1.13',
        'node-c eth0 captured VXLAN 192.168.1.11 → 192.168.1.13',
        'node-c vxlan.calico captured',
        'node-c cali0d7763386da captured',
      ],
    );
  });
});
