// A decision that reads a section the snapshot does not vouch for (failed, absent, unparseable)
// ends the trace as unknown, naming the node, the section and its status; the same decision with
// the section collected is made; and a section the path never reads changes nothing.
// The path: LAN host → node-c (ens18) → IPIP tunl0 → node-d → cali123 → pod default/web.
import { text, texts } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { validateSource } from '../../../src/engine/rpfilter.ts';
import type { Trace } from '../../../src/engine/trace.ts';
import type { NodeDatapath, World } from '../../../src/engine/world.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import type { Endpoint } from '../../../src/engine/walk.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import type { SectionStatus } from '../../../src/model/provenance.ts';
import type { HostState } from '../../../src/model/types.ts';
import { acceptAll, ipipNodeC, ipipNodeD, route } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

const UNUSABLE: SectionStatus[] = [
  { state: 'failed', reason: 'exited 127: not found' },
  { state: 'absent' },
  { state: 'unparseable', warnings: ['line 1: not the output of the tool'] },
];

const nodeC = (): HostState => ipipNodeC({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0' });
const nodeD = (extraLinks: HostState['links'] = []): HostState =>
  ipipNodeD({ 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0' }, extraLinks);

/** `h` with `section` in state `s`. */
function withSection(h: HostState, section: string, s: SectionStatus): HostState {
  return { ...h, provenance: new Map([...h.provenance, [section, s]]) };
}

function world(hosts: HostState[], extra: Partial<World> = {}): World {
  return {
    hosts: new Map(hosts.map((h) => [h.name, buildHostNet(h)])),
    pods: [{ name: 'default/web', ip: ip('10.244.3.5'), node: 'node-d' }],
    externals: [{ name: 'lan-pc', ip: ip('192.168.1.50'), entry: { host: 'node-c', dev: 'ens18' } }],
    ...extra,
  };
}

const toWeb = (dst = '10.244.3.5', dport = 8080): Packet => ({
  src: ip('192.168.1.50'),
  dst: ip(dst),
  proto: 'tcp',
  sport: 40000,
  dport,
  mark: 0,
  connmark: 0,
  length: 100,
});

function walk(w: World, from: Endpoint = { kind: 'external', external: w.externals[0]! }, p = toWeb()): Trace[] {
  return traceFlow(w, { evaluate: acceptAll }, from, p).flatMap((r) => [r.forward, ...(r.reply ? [r.reply] : [])]);
}

/** The one trace that did not deliver, which must be unknown for want of `section` on `node`. */
function assertUnknownFor(traces: Trace[], node: string, section: string, status: SectionStatus): void {
  const bad = traces.filter((t) => t.verdict !== 'delivered');
  assert.equal(bad.length, 1, traces.map((t) => t.verdict).join());
  const t = bad[0]!;
  assert.equal(t.verdict, 'unknown');
  assert.deepEqual(t.decisive?.reason, { kind: 'data-missing', node, section, status });
  assert.equal(t.decisive?.node, node);
  assert.match(text(t.decisive!.detail), new RegExp(`on ${node}: ${section} `));
  assert.ok(texts(t.decisive!.evidence).some((e) => e.includes(section === 'sysctl' ? 'sysctl -a' : '`')));
}

function assertDelivered(traces: Trace[]): void {
  assert.deepEqual(
    traces.map((t) => t.verdict),
    ['delivered', 'delivered'],
  );
}

test('all sections collected: the path is decided (delivered both ways)', () => {
  assertDelivered(walk(world([nodeC(), nodeD()])));
});

for (const [section, node, step] of [
  ['ip-addr', 'node-d', 'enter'],
  ['ip-route', 'node-c', 'route'],
  ['ip-rule', 'node-d', 'route'],
  ['sysctl', 'node-c', 'forward'],
  ['iptables-nft-save', 'node-c', 'prerouting'],
  ['iptables-legacy-save', 'node-d', 'prerouting'],
  ['nft', 'node-d', 'prerouting'],
] as const) {
  test(`${section} of ${node} not usable: unknown at ${step}, naming it, for each status`, () => {
    for (const s of UNUSABLE) {
      const hosts = [nodeC(), nodeD()].map((h) => (h.name === node ? withSection(h, section, s) : h));
      const traces = walk(world(hosts));
      assertUnknownFor(traces, node, section, s);
      assert.equal(traces.find((t) => t.verdict === 'unknown')!.decisive!.step, step);
    }
  });
}

test('partial sections are usable: the path is decided', () => {
  const partial: SectionStatus = { state: 'partial', warnings: ['line 9: unknown attribute'] };
  const hosts = [nodeC(), nodeD()].map((h) => withSection(withSection(h, 'ip-route', partial), 'sysctl', partial));
  assertDelivered(walk(world(hosts)));
});

test('sections the path never reads change nothing: ipvsadm without IPVS, neighbours on an IPIP path, ipset', () => {
  for (const s of UNUSABLE) {
    const hosts = [nodeC(), nodeD()].map((h) =>
      ['ipvsadm', 'ip-neigh', 'bridge-fdb', 'ipset'].reduce((x, sec) => withSection(x, sec, s), h),
    );
    assertDelivered(walk(world(hosts)));
  }
});

test('IPVS: a local delivery on a node running IPVS needs ipvsadm; a forwarded pod path does not', () => {
  const ipvs: NodeDatapath = { ipvs: true, notModelled: [] };
  const datapath = new Map([
    ['node-c', ipvs],
    ['node-d', ipvs],
  ]);
  const failed: SectionStatus = { state: 'failed', reason: 'ipvsadm exited 2' };
  const hosts = [withSection(nodeC(), 'ipvsadm', failed), withSection(nodeD(), 'ipvsadm', failed)];
  // To node-c's own address: IPVS could own it.
  const local = walk(world(hosts, { datapath }), undefined, toWeb('192.168.1.11', 80));
  assertUnknownFor(local, 'node-c', 'ipvsadm', failed);
  assert.equal(local[0]!.decisive!.step, 'ipvs');
  // Collected and empty: no virtual server, delivered to the node.
  const seen = [nodeC(), nodeD()];
  assert.equal(walk(world(seen, { datapath }), undefined, toWeb('192.168.1.11', 80))[0]!.verdict, 'delivered');
  // To the pod: forwarded on both nodes, IPVS never consulted.
  assertDelivered(walk(world(hosts, { datapath })));
  // ipvsadm's answer on a kernel without IPVS is a fact: nothing takes the packet.
  const noIpvs: SectionStatus = {
    state: 'failed',
    reason:
      "ipvsadm exited 2: Can't initialize ipvs: Protocol not available Are you sure that IP Virtual Server is built in the kernel or as module?",
  };
  const kernel = [withSection(nodeC(), 'ipvsadm', noIpvs), nodeD()];
  assert.equal(walk(world(kernel, { datapath }), undefined, toWeb('192.168.1.11', 80))[0]!.verdict, 'delivered');
});

test('rp_filter without sysctls: a symmetric source passes, an asymmetric one is unknown', () => {
  const absent: SectionStatus = { state: 'absent' };
  const d = buildHostNet(withSection(nodeD(), 'sysctl', absent));
  // From node-c's pod block over tunl0: the way back is tunl0 itself, every mode passes.
  const sym = validateSource(d, {
    src: ip('10.244.1.7'),
    dst: ip('10.244.3.5'),
    iif: 'tunl0',
    oif: 'cali123',
    mark: 0,
    tos: 0,
  });
  assert.equal(sym.pass, true);
  // From the LAN over tunl0: the way back is ens18; strict would drop, loose or off would pass.
  const asym = validateSource(d, {
    src: ip('192.168.1.50'),
    dst: ip('10.244.3.5'),
    iif: 'tunl0',
    oif: 'cali123',
    mark: 0,
    tos: 0,
  });
  assert.equal(asym.pass, false);
  assert.equal(asym.reason, 'data-missing');
  assert.deepEqual(asym.missing, { kind: 'data-missing', node: 'node-d', section: 'sysctl', status: absent });
  // Collected: decided (mode 0, passes).
  const seen = validateSource(buildHostNet(nodeD()), {
    src: ip('192.168.1.50'),
    dst: ip('10.244.3.5'),
    iif: 'tunl0',
    oif: 'cali123',
    mark: 0,
    tos: 0,
  });
  assert.equal(seen.pass, true);
});

test('a pod on a node that was not probed: unknown naming the node, as source and as destination', () => {
  const unprobed = { name: 'default/db', ip: ip('10.244.9.5'), node: 'node-x' };
  const nodeAddresses = new Map([[ip('192.168.1.19'), 'node-x']]);
  const c = nodeC();
  c.routes.push(route('10.244.9.0/26 via 192.168.1.19 dev tunl0 proto bird onlink'));
  const w = world([c, nodeD()], { unprobedPods: [unprobed], nodeAddresses });
  const from = walk(w, { kind: 'pod', pod: unprobed }, { ...toWeb(), src: unprobed.ip });
  assert.equal(from[0]!.verdict, 'unknown');
  assert.deepEqual(from[0]!.decisive!.reason, { kind: 'not-probed', node: 'node-x' });
  const to = walk(w, undefined, toWeb('10.244.9.5'));
  assert.equal(to[0]!.verdict, 'unknown');
  assert.deepEqual(to[0]!.decisive!.reason, { kind: 'not-probed', node: 'node-x' });
  assert.match(text(to[0]!.decisive!.detail), /node-x, which was not probed/);
});

test('a pod on a node not probed, on the link of the sender: unknown naming the node', () => {
  const unprobed = { name: 'default/db', ip: ip('10.244.9.5'), node: 'node-x' };
  const c = nodeC();
  c.routes.push(route('10.244.9.5 dev ens18 scope link'));
  const before = walk(world([c, nodeD()]), undefined, toWeb('10.244.9.5'));
  assert.equal(before[0]!.decisive!.reason?.kind, 'neighbor-unknown');
  const after = walk(world([c, nodeD()], { unprobedPods: [unprobed] }), undefined, toWeb('10.244.9.5'));
  assert.equal(after[0]!.verdict, 'unknown');
  assert.deepEqual(after[0]!.decisive!.reason, { kind: 'not-probed', node: 'node-x' });
});

test('a probed host whose addresses were not collected may be the one that answers ARP: unknown', () => {
  const c = nodeC();
  c.routes.push(route('192.168.2.0/24 dev ens18 scope link'));
  const p = toWeb('192.168.2.7');
  assert.equal(walk(world([c, nodeD()]), undefined, p)[0]!.decisive!.reason?.kind, 'neighbor-unknown');
  const failed: SectionStatus = { state: 'failed', reason: 'ip: not found' };
  const t = walk(world([c, withSection(nodeD(), 'ip-addr', failed)]), undefined, p)[0]!;
  assert.equal(t.verdict, 'unknown');
  assert.deepEqual(t.decisive!.reason, { kind: 'data-missing', node: 'node-d', section: 'ip-addr', status: failed });
});

test('a node whose datapath is eBPF is not walked: unknown with the configuration that says so', () => {
  const because = ['cilium-config: kube-proxy-replacement: true (Services are load-balanced by eBPF)'];
  const datapath = new Map<string, NodeDatapath>([['node-d', { ipvs: false, notModelled: because }]]);
  const [t] = walk(world([nodeC(), nodeD()], { datapath }));
  assert.equal(t!.verdict, 'unknown');
  assert.deepEqual(t!.decisive!.reason, { kind: 'datapath-not-modelled', node: 'node-d', because });
  // node-c alone is walked: the trace reaches node-d before it stops.
  assert.ok(t!.hops.some((h) => h.node === 'node-c' && h.step === 'encapsulate'));
});

test('an external host entering by a node without addresses and routes: unknown naming them, not "no node on its link"', () => {
  const failed: SectionStatus = { state: 'failed', reason: 'ip: exited 1' };
  // As the model leaves a failed section: empty, with the status saying why.
  const c = { ...withSection(withSection(nodeC(), 'ip-addr', failed), 'ip-route', failed), addresses: [], routes: [] };
  const w = world([c, nodeD()]);
  const lan = { name: 'lan-pc', ip: ip('192.168.5.50'), entry: { host: 'node-c' } };
  const [t] = walk(w, { kind: 'external', external: lan });
  assert.equal(t!.verdict, 'unknown');
  assert.deepEqual(t!.decisive!.reason, { kind: 'data-missing', node: 'node-c', section: 'ip-addr', status: failed });
  assert.equal(t!.decisive!.step, 'enter');
  assert.equal(t!.hops.length, 1);
});
