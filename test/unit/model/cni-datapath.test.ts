// Which cilium-config settings move the datapath into eBPF (and so out of what the engine walks),
// and that the world built from a model carries it, with the pods and addresses of unprobed nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWorld } from '../../../src/engine/world-from-model.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { clusterInfo } from '../../../src/model/cluster.ts';
import { unmodelledDatapath } from '../../../src/model/cni/index.ts';
import { emptyObjects } from '../../../src/snapshot/types.ts';
import type { KubeObject } from '../../../src/snapshot/types.ts';
import { host, link } from '../engine/model-builder.ts';

function cluster(ciliumConfig?: Record<string, string>, more: Partial<Record<'nodes' | 'pods', KubeObject[]>> = {}) {
  const o = emptyObjects();
  if (ciliumConfig !== undefined)
    o.configMaps = [{ metadata: { name: 'cilium-config', namespace: 'kube-system' }, data: ciliumConfig }];
  Object.assign(o, more);
  return clusterInfo(o);
}

test('kube-proxy replacement, BPF masquerade and the host firewall are not walked; their "off" values are', () => {
  assert.deepEqual(unmodelledDatapath(cluster()), []);
  assert.deepEqual(
    unmodelledDatapath(
      cluster({ 'kube-proxy-replacement': 'false', 'enable-bpf-masquerade': 'false', 'enable-host-firewall': 'false' }),
    ),
    [],
  );
  assert.deepEqual(unmodelledDatapath(cluster({ 'kube-proxy-replacement': 'disabled' })), []);
  for (const v of ['true', 'strict', 'partial', 'probe']) {
    const r = unmodelledDatapath(cluster({ 'kube-proxy-replacement': v }));
    assert.equal(r.length, 1, v);
    assert.match(r[0]!, new RegExp(`^cilium-config: kube-proxy-replacement: ${v} \\(`));
  }
  const both = unmodelledDatapath(cluster({ 'enable-bpf-masquerade': 'true', 'enable-host-firewall': 'true' }));
  assert.deepEqual(
    both.map((x) => x.split(':')[1]!.trim()),
    ['enable-bpf-masquerade', 'enable-host-firewall'],
  );
});

test('the world: eBPF datapath per probed node, IPVS where kube-ipvs0 exists, pods and addresses of unprobed nodes', () => {
  const c = cluster(
    { 'kube-proxy-replacement': 'true' },
    {
      nodes: [
        { metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.11' }] } },
        { metadata: { name: 'node-x' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.19' }] } },
      ],
      pods: [
        {
          metadata: { name: 'db-0', namespace: 'default' },
          spec: { nodeName: 'node-x' },
          status: { podIP: '10.0.9.5', podIPs: [{ ip: '10.0.9.5' }] },
        },
      ],
    },
  );
  const a = host('node-a', { links: [link(7, 'kube-ipvs0', { kind: 'dummy' })] });
  const w = buildWorld([a], c);
  assert.equal(w.datapath?.get('node-a')?.ipvs, true);
  assert.equal(w.datapath?.get('node-a')?.notModelled.length, 1);
  assert.deepEqual(w.unprobedPods, [{ name: 'default/db-0', ip: parseIpv4('10.0.9.5'), node: 'node-x' }]);
  assert.equal(w.nodeAddresses?.get(parseIpv4('192.168.1.19')!), 'node-x');
  assert.deepEqual(w.pods, []);
});
