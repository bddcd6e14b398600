// The --active plan, from real snapshots (examples/, captured from the lab) and from a small IPIP
// model (this kernel has no ipip module: its routes are written as Calico's BGP programs them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planProbes, enforceLimits } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import type { AnalysisContext } from '../../../src/checks/context.ts';
import { PROBE_LIMITS } from '../../../src/snapshot/active.ts';
import type { UnderlayProbe } from '../../../src/snapshot/active.ts';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { addr, host, link, route, withLocal } from '../engine/model-builder.ts';

async function ctxOf(name: string): Promise<AnalysisContext> {
  return analysisContext(buildModel(await readSnapshot(`examples/${name}.json`)));
}

test('doctor on Calico VXLAN: a small and an MTU-sized VXLAN probe for every ordered pair of nodes', async () => {
  const plan = planProbes(await ctxOf('healthy'), {}, 0x1234);
  const pairs = plan.probes.map((p) => `${p.from}>${p.to} ${p.purpose} ${p.size}`);
  assert.deepEqual(pairs, [
    'node-a>node-b reach 96',
    'node-a>node-b mtu 1500',
    'node-a>node-c reach 96',
    'node-a>node-c mtu 1500',
    'node-b>node-a reach 96',
    'node-b>node-a mtu 1500',
    'node-b>node-c reach 96',
    'node-b>node-c mtu 1500',
    'node-c>node-a reach 96',
    'node-c>node-a mtu 1500',
    'node-c>node-b reach 96',
    'node-c>node-b mtu 1500',
  ]);
  const p = plan.probes[0]!;
  assert.deepEqual([p.kind, p.src, p.dst, p.port, p.df], ['vxlan', '192.168.1.11', '192.168.1.12', 4789, true]);
  // An unused VNI: Calico's device has 4096.
  assert.equal(p.vni, 0xfffffe);
  assert.deepEqual(p.path, [
    { node: 'node-a', dev: 'eth0' },
    { node: 'node-b', dev: 'eth0' },
  ]);
  assert.equal(plan.captures.length, 3);
  assert.equal(plan.captures[0]!.expected, 16, 'every copy a node sends and receives');
  assert.match(plan.captures[0]!.filter, /dst port 4789/);
  assert.match(plan.captures[0]!.filter, /udp\[20:2\] = 0x1234/);
});

test('flannel: the VXLAN port is 8472; a multi-NIC VTEP is probed at the address the fdb names', async () => {
  const fl = planProbes(await ctxOf('kubeadm-flannel'), {}, 1);
  assert.ok(fl.probes.every((p) => p.port === 8472));
  const multi = planProbes(await ctxOf('tunnel-outer-source'), {}, 1);
  assert.ok(multi.probes.some((p) => p.from === 'node-a' && p.to === 'node-b' && p.dst === '192.168.3.12'));
});

test('a flow: only the pairs its traces cross', async () => {
  const plan = planProbes(await ctxOf('healthy'), { pairs: [{ from: 'node-a', to: 'node-b' }] }, 1);
  assert.deepEqual(
    plan.probes.map((p) => `${p.from}>${p.to}`),
    ['node-a>node-b', 'node-a>node-b'],
  );
});

test('routed mode (Cilium native routing): a probe with a pod source address, node to node', async () => {
  const plan = planProbes(await ctxOf('cilium-kubernetes'), {}, 1);
  const p = plan.probes.find((x) => x.from === 'node-a' && x.to === 'node-b')!;
  assert.equal(p.kind, 'routed');
  assert.equal(p.src, '10.244.0.1');
  assert.equal(p.dst, '192.168.1.12');
  assert.equal(plan.probes.filter((x) => x.purpose === 'mtu').length, 0);
});

test('IPIP: proto 4 to the route gateway, DF at tunl0 MTU + 20', () => {
  const mk = (name: string, me: string, peer: string, block: string) =>
    withLocal(
      host(name, {
        links: [link(2, 'ens18'), link(5, 'tunl0', { kind: 'ipip', mtu: 1480, ipip: {} })],
        addresses: [addr('ens18', `${me}/24`)],
        routes: [
          route(`192.168.1.0/24 dev ens18 proto kernel scope link src ${me}`),
          route(`${block} via ${peer} dev tunl0 proto bird onlink`),
        ],
      }),
    );
  const hosts = [
    mk('node-c', '192.168.1.11', '192.168.1.12', '10.244.3.0/26'),
    mk('node-d', '192.168.1.12', '192.168.1.11', '10.244.1.0/26'),
  ];
  const ctx = {
    world: { hosts: new Map(hosts.map((h) => [h.name, buildHostNet(h)])), pods: [], externals: [] },
    model: {
      cluster: {
        nodes: [
          { name: 'node-c', internalIPs: ['192.168.1.11'], externalIPs: [] },
          { name: 'node-d', internalIPs: ['192.168.1.12'], externalIPs: [] },
        ],
      },
    },
    flavour: { podRanges: [] },
  } as unknown as AnalysisContext;
  const plan = planProbes(ctx, {}, 7);
  assert.deepEqual(
    plan.probes.map((p) => [p.kind, p.from, p.src, p.dst, p.size, p.path[1]!.dev]),
    [
      ['ipip', 'node-c', '192.168.1.11', '192.168.1.12', 96, 'ens18'],
      ['ipip', 'node-c', '192.168.1.11', '192.168.1.12', 1500, 'ens18'],
      ['ipip', 'node-d', '192.168.1.12', '192.168.1.11', 96, 'ens18'],
      ['ipip', 'node-d', '192.168.1.12', '192.168.1.11', 1500, 'ens18'],
    ],
  );
  assert.match(plan.captures[0]!.filter, /ip proto 4 and ip\[48:4\] = 0x4e43484b/);
});

test('safety: only cluster nodes and named addresses, bounded size, copies and total', () => {
  const base: UnderlayProbe = {
    id: 1,
    kind: 'vxlan',
    purpose: 'reach',
    from: 'node-a',
    to: 'node-b',
    src: '192.168.1.11',
    dst: '192.168.1.12',
    port: 4789,
    vni: 1,
    size: 96,
    df: true,
    count: 2,
    path: [],
    standsFor: '',
  };
  const nodes = new Set(['node-a', 'node-b']);
  const targets = new Set(['192.168.1.12', '10.65.0.66']);
  const skipped: string[] = [];
  const kept = enforceLimits(
    [
      base,
      { ...base, id: 2, dst: '8.8.8.8' },
      { ...base, id: 3, to: 'lan-router' },
      { ...base, id: 4, size: 65000 },
      { ...base, id: 5, count: 50 },
      { ...base, id: 6, kind: 'routed', dst: '10.65.0.66' },
    ],
    nodes,
    targets,
    PROBE_LIMITS,
    skipped,
  );
  assert.deepEqual(
    kept.map((p) => p.id),
    [1, 6],
  );
  assert.equal(skipped.length, 4);
  assert.match(skipped.join('\n'), /8\.8\.8\.8 is neither a cluster node's address nor named/);
  const budget: string[] = [];
  const many = Array.from({ length: 10 }, (_, i) => ({ ...base, id: i + 1, count: 3 }));
  assert.equal(enforceLimits(many, nodes, targets, { ...PROBE_LIMITS, maxPackets: 10 }, budget).length, 3);
  assert.deepEqual(budget, [
    '7 probe(s) not sent: the plan holds 10 packets at most (doctor --nodes probes fewer pairs)',
  ]);
});
