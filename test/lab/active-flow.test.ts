// --active sends the flow itself: from inside the source pod's network namespace (found through
// /proc by the probe pod, hostPID; the API server double publishes the lab pods as processes, see
// test/apiserver/pod-processes.ts), answered by a listener in the destination pod's, and watched
// by tcpdump on every device the engine's traces cross. Real packets in a Calico VXLAN lab cluster.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { observeFlow } from '../../src/checks/active/flow-localise.ts';
import { PROBE_LIMITS } from '../../src/snapshot/active.ts';
import type { ActivePlan } from '../../src/snapshot/active.ts';
import { runActive } from '../../src/collect/active/run.ts';
import { activeIds, clusterFor } from './active-cluster.ts';
import { labUnsupportedReason } from './harness/index.ts';
import { calicoHealthy } from './incidents/base.ts';

const skip = (await labUnsupportedReason()) ?? false;
const P2P = ['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080'];

describe('--active sends the flow itself (Calico VXLAN lab)', { skip, concurrency: false }, () => {
  const cl = clusterFor(calicoHealthy);

  it('healthy: answered by the listener in web-0, every device of both traces captured it (timed)', async () => {
    await cl().filter([]);
    const plain = await cl().cli(P2P);
    const r = await cl().cli([...P2P, '--active']);
    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    process.stdout.write(
      `# timing (pod pair, 3 nodes, load ${load}): pod-to-pod ${plain.ms} ms, pod-to-pod --active ${r.ms} ms (probing ${r.doc.active!.elapsedMs} ms)\n`,
    );
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

  it('UDP: the listener echoes the datagram; ICMP: the pod answers the echo itself (no listener)', async () => {
    const udp = await cl().cli([
      'pod-to-pod',
      'default/client-0',
      'default/web-0',
      '--protocol',
      'udp',
      '--port',
      '8080',
      '--active',
    ]);
    assert.equal(udp.doc.active!.flow!.state, 'answered', JSON.stringify(udp.doc.active!.flow));
    assert.deepEqual(udp.doc.active!.flow!.listener, { received: 2 });
    const icmp = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--protocol', 'icmp', '--active']);
    const f = icmp.doc.active!.flow!;
    assert.equal(f.state, 'answered', JSON.stringify(f));
    assert.equal(f.listener, undefined);
    assert.ok(
      [...f.forward, ...f.reply].every((x) => x.state === 'captured'),
      JSON.stringify(f, null, 1),
    );
    assert.deepEqual(activeIds(icmp.doc), []);
  });

  it('a source address no pod namespace holds: the sender says so, the flow is unknown, never lost', async () => {
    const plan: ActivePlan = {
      run: 0x4243,
      probes: [],
      captures: [],
      skipped: [],
      limits: PROBE_LIMITS,
      flow: {
        probe: {
          protocol: 'tcp',
          src: '10.65.0.99',
          dst: '10.65.0.130',
          srcNode: 'node-a',
          port: 8080,
          count: 1,
          answerSeconds: 1,
          forward: [{ node: 'node-a', dev: 'eth0', hop: 0 }],
          reply: [],
        },
        captures: [],
        vxlanPorts: [4789],
      },
    };
    const results = await runActive({ kubeconfig: cl().double.kubeconfigPath, handleSignals: false }, plan);
    assert.equal(results.flow!.sender.state, 'no-netns', JSON.stringify(results.flow));
    const o = observeFlow(plan.flow!.probe, results.flow!);
    assert.equal(o.state, 'unknown');
    assert.match(
      o.why!,
      /cannot enter the network namespace of 10\.65\.0\.99 on node-a: no process on this node is in a network namespace of its own holding 10\.65\.0\.99/,
    );
    assert.equal(o.forward[0]!.state, 'unknown');
  });
});

describe('--active on trace and lan (Calico VXLAN lab)', { skip, concurrency: false }, () => {
  const cl = clusterFor(calicoHealthy);

  it('trace pod → pod: the same flow, answered', async () => {
    const r = await cl().cli(['trace', 'default/client-0', 'default/web-0', '--port', '8080', '--active']);
    assert.equal(r.doc.active!.flow!.state, 'answered', JSON.stringify(r.doc.active!.flow));
    assert.deepEqual(activeIds(r.doc), []);
  });

  it('trace pod → Service: DNAT watched through the backends’ addresses until the branches part; nothing listens, a refusal is no finding', async () => {
    const r = await cl().cli(['trace', 'default/client-0', 'svc/default/web', '--active']);
    const f = r.doc.active!.flow!;
    // No listener for a Service: the backend pod's kernel answers the SYN with an RST.
    assert.equal(f.listener, undefined);
    assert.equal(f.state, 'refused', JSON.stringify(f));
    assert.deepEqual(f.forward.map((x) => `${x.node} ${x.dev} ${x.state}`).slice(0, 3), [
      'node-a cali56a6d256ab4 captured',
      'node-a vxlan.calico captured',
      'node-a eth0 captured',
    ]);
    assert.ok(
      f.forward.slice(3).every((x) => x.state === 'unknown' && /branches/.test(x.why ?? '')),
      JSON.stringify(f.forward, null, 1),
    );
    assert.deepEqual(activeIds(r.doc), []);
  });

  it('a node or a LAN host as the source: the flow is not sent, and the report says why', async () => {
    const n = await cl().cli(['trace', 'node/node-a', 'default/web-0', '--port', '8080', '--active']);
    assert.equal(n.doc.active!.flow, undefined);
    assert.ok(
      n.doc.active!.skipped.some((x) => /not from node node-a's own/.test(x)),
      n.doc.active!.skipped.join('\n'),
    );
    const l = await cl().cli(['lan', '192.168.1.50', 'default/web-0', '--port', '8080', '--active']);
    assert.equal(l.doc.active!.flow, undefined);
    assert.ok(l.doc.active!.skipped.some((x) => /cannot send from the LAN host 192\.168\.1\.50/.test(x)));
    assert.deepEqual(activeIds(l.doc), []);
  });
});

describe('--active localises the flow between capture points (Calico VXLAN lab)', { skip, concurrency: false }, () => {
  const cl = clusterFor(calicoHealthy);

  it('the LAN switch drops UDP 4789 from node-a to node-c: static REACHABLE, --active names the last and first point', async () => {
    await cl().filter(['ip saddr 192.168.1.11 ip daddr 192.168.1.13 udp dport 4789 drop']);
    const r = await cl().cli([...P2P, '--active']);
    assert.equal(r.doc.verdict, 'reachable', 'no node state shows it');
    const f = r.doc.active!.flow!;
    assert.equal(f.state, 'not-answered');
    assert.deepEqual(f.listener, { received: 0 });
    const lost = r.doc.findings.find((x) => x.id === 'flow-not-answered')!;
    assert.match(
      lost.summary,
      /10\.65\.0\.2 → 10\.65\.0\.130 tcp\/8080 sent from the pod's own namespace was not answered: the packet left node-a eth0 as VXLAN 192\.168\.1\.11 → 192\.168\.1\.13 \(captured\), never reached node-c eth0$/,
    );
    assert.ok(activeIds(r.doc).includes('prediction-mismatch node-a'), activeIds(r.doc).join('\n'));
    const fwd = r.doc.traces.find((t) => t.direction === 'forward')!;
    assert.deepEqual(
      [...new Set(fwd.hops.map((h) => `${h.node} ${h.device} ${h.observed}`))],
      [
        'node-a cali56a6d256ab4 captured',
        'node-a vxlan.calico captured',
        'node-a eth0 captured',
        'node-c eth0 not-captured',
        'node-c vxlan.calico not-captured',
        'node-c cali0d7763386da not-captured',
      ],
    );
  });

  it('only the reply direction dropped: web-0 got the SYNs (captured on its veth), the reply is localised', async () => {
    await cl().filter(['ip saddr 192.168.1.13 ip daddr 192.168.1.11 udp dport 4789 drop']);
    const r = await cl().cli([...P2P, '--active']);
    const f = r.doc.active!.flow!;
    assert.equal(f.state, 'not-answered');
    // No handshake completes, so the listener accepts nothing; its veth saw the SYNs.
    assert.deepEqual(f.listener, { received: 0 });
    assert.equal(f.forward.at(-1)!.state, 'captured');
    assert.match(
      r.doc.findings.find((x) => x.id === 'flow-not-answered')!.summary,
      /not answered: the reply left node-c eth0 as VXLAN 192\.168\.1\.13 → 192\.168\.1\.11 \(captured\), never reached node-a eth0$/,
    );
  });

  it('an iptables DROP in node-c FORWARD: the engine sees it too, the captures agree (no mismatch)', async () => {
    await cl().filter([]);
    const rule = ['FORWARD', '-d', '10.65.0.130/32', '-p', 'tcp', '--dport', '8080', '-j', 'DROP'];
    const add = await cl().lab.exec('node-c', ['iptables', '-I', ...rule]);
    assert.equal(add.code, 0, add.stderr);
    try {
      const r = await cl().cli([...P2P, '--active']);
      assert.equal(r.doc.verdict, 'unreachable', JSON.stringify(r.doc.findings.map((x) => x.id)));
      assert.equal(r.doc.active!.flow!.state, 'not-answered');
      assert.deepEqual(activeIds(r.doc), ['flow-not-answered node-c']);
      assert.match(
        r.doc.findings.find((x) => x.id === 'flow-not-answered')!.summary,
        /the packet left node-c vxlan\.calico \(captured\), never reached node-c cali0d7763386da$/,
      );
    } finally {
      await cl().lab.exec('node-c', ['iptables', '-D', ...rule]);
    }
  });
});
