// The engine's deciding hop → the finding ID and a fix for that very device or rule. Runs the real
// engine (and the real iptables evaluator) on small models, so a change of the engine's wording
// that the classifier relies on fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../../src/engine/world.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import type { Hop, Trace } from '../../../src/engine/trace.ts';
import { classifyTrace } from '../../../src/checks/flow/classify.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { parseIptablesSave } from '../../../src/model/parse/iptables-save.ts';
import type { HostState } from '../../../src/model/types.ts';
import { findingFromTrace } from '../../../src/checks/flow/from-trace.ts';
import { addr, host, link, route, withLocal } from '../engine/model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

interface Knobs {
  tunlRpFilter?: string;
  cForward?: string;
  cExtraRoutes?: string[];
  dIptables?: string;
}

function world(k: Knobs): World {
  const c = withLocal(
    host('node-c', {
      links: [link(2, 'ens18'), link(5, 'tunl0', { kind: 'ipip', mtu: 1480, ipip: {} })],
      addresses: [addr('ens18', '192.168.1.11/24'), addr('tunl0', '10.244.1.0/32')],
      routes: [
        route('default via 192.168.1.1 dev ens18'),
        route('192.168.1.0/24 dev ens18 proto kernel scope link src 192.168.1.11'),
        ...(k.cExtraRoutes ?? ['10.244.3.0/26 via 192.168.1.12 dev tunl0 proto bird onlink']).map(route),
      ],
      sysctls: {
        'net.ipv4.ip_forward': k.cForward ?? '1',
        'net.ipv4.conf.ens18.forwarding': k.cForward ?? '1',
        'net.ipv4.conf.all.rp_filter': '0',
        'net.ipv4.conf.ens18.rp_filter': '0',
      },
    }),
  );
  const d: HostState = withLocal(
    host('node-d', {
      links: [
        link(2, 'ens18'),
        link(5, 'tunl0', { kind: 'ipip', mtu: 1480, ipip: {} }),
        link(9, 'cali123', { kind: 'veth' }),
      ],
      addresses: [addr('ens18', '192.168.1.12/24'), addr('tunl0', '10.244.3.0/32')],
      routes: [
        route('default via 192.168.1.1 dev ens18'),
        route('192.168.1.0/24 dev ens18 proto kernel scope link src 192.168.1.12'),
        route('10.244.3.5 dev cali123 scope link'),
        route('10.244.1.0/26 via 192.168.1.11 dev tunl0 proto bird onlink'),
      ],
      sysctls: {
        'net.ipv4.ip_forward': '1',
        'net.ipv4.conf.all.rp_filter': '0',
        'net.ipv4.conf.tunl0.rp_filter': k.tunlRpFilter ?? '0',
        'net.ipv4.conf.ens18.rp_filter': '0',
      },
    }),
  );
  if (k.dIptables !== undefined) d.iptables = [parseIptablesSave(k.dIptables, 'nft').value];
  return {
    hosts: new Map([c, d].map((h) => [h.name, buildHostNet(h)])),
    pods: [{ name: 'default/web', ip: ip('10.244.3.5'), node: 'node-d' }],
    externals: [{ name: 'lan-pc', ip: ip('192.168.1.50'), entry: { host: 'node-c', dev: 'ens18' } }],
  };
}

const packet = (): Packet => ({
  src: ip('192.168.1.50'),
  dst: ip('10.244.3.5'),
  proto: 'tcp',
  sport: 40000,
  dport: 8080,
  mark: 0,
  connmark: 0,
  length: 100,
});

function finding(k: Knobs) {
  const w = world(k);
  const [r] = traceFlow(w, { evaluate: evaluateHook }, { kind: 'external', external: w.externals[0]! }, packet());
  return findingFromTrace(r!.forward, 'lan-pc → web');
}

test('a delivered trace is no finding', () => {
  assert.equal(finding({}), undefined);
});

test('strict rp_filter on tunl0 → rp-filter-drop on node-d, fix names the device', () => {
  const f = finding({ tunlRpFilter: '1' })!;
  assert.equal(f.id, 'rp-filter-drop');
  assert.equal(f.node, 'node-d');
  assert.ok(f.evidence.includes('net.ipv4.conf.tunl0.rp_filter = 1'), f.evidence.join('\n'));
  assert.match(f.fix, /sysctl -w net\.ipv4\.conf\.tunl0\.rp_filter=2 on node-d/);
});

test('forwarding off on the entry node → forwarding-disabled', () => {
  const f = finding({ cForward: '0' })!;
  assert.equal(f.id, 'forwarding-disabled');
  assert.equal(f.node, 'node-c');
  assert.match(f.fix, /net\.ipv4\.ip_forward=1 on node-c/);
});

test('a blackhole route for the block → blackhole-route', () => {
  const f = finding({ cExtraRoutes: ['blackhole 10.244.3.0/26'] })!;
  assert.equal(f.id, 'blackhole-route');
  assert.ok(
    f.evidence.some((e) => /blackhole/.test(e)),
    f.evidence.join('\n'),
  );
});

test('an unreachable route → blackhole-route too (ICMP error instead of silence)', () => {
  const f = finding({ cExtraRoutes: ['unreachable 10.244.3.0/26'] })!;
  assert.equal(f.id, 'blackhole-route');
});

test('a FORWARD DROP rule → netfilter-drop with a delete command for that rule and table', () => {
  const f = finding({
    dIptables:
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 10.244.3.5/32 -p tcp -m tcp --dport 8080 -j DROP\nCOMMIT\n',
  })!;
  assert.equal(f.id, 'netfilter-drop');
  assert.equal(f.node, 'node-d');
  assert.match(f.fix, /iptables -t filter -D FORWARD -d 10\.244\.3\.5\/32 -p tcp -m tcp --dport 8080 -j DROP/);
});

test('a FORWARD policy DROP → netfilter-drop whose fix accepts the flow or changes the policy', () => {
  const f = finding({
    dIptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
  })!;
  assert.equal(f.id, 'netfilter-drop');
  assert.match(f.fix, /-P FORWARD ACCEPT/);
});

test('a REJECT rule → netfilter-reject; kube-proxy\'s "has no endpoints" REJECT → service-no-endpoints', () => {
  const rej = finding({
    dIptables:
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 10.244.3.5/32 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n',
  })!;
  assert.equal(rej.id, 'netfilter-reject');
  const none = finding({
    dIptables:
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 10.244.3.5/32 -p tcp -m comment --comment "default/web:http has no endpoints" -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n',
  })!;
  assert.equal(none.id, 'service-no-endpoints');
});

test('kube-proxy\'s "has no local endpoints" DROP (traffic policy Local) → service-no-local-endpoint', () => {
  const local = finding({
    dIptables:
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -d 10.244.3.5/32 -p tcp -m comment --comment "default/web:http has no local endpoints" -m tcp --dport 8080 -j DROP\nCOMMIT\n',
  })!;
  assert.equal(local.id, 'service-no-local-endpoint');
});

test('the finding follows the typed reason, not the wording of the hop', () => {
  const t = (reason: Hop['reason'], detail: string): Trace => ({
    direction: 'forward',
    verdict: 'dropped',
    branch: [],
    hops: [{ node: 'n', step: 'route', detail, evidence: [], ...(reason !== undefined ? { reason } : {}) }],
  });
  // Wording that the former regular expressions keyed on, under another reason.
  assert.equal(classifyTrace(t({ kind: 'link-down' }, 'forwarding is off on eth0')), 'link-down');
  assert.equal(classifyTrace(t({ kind: 'forwarding-disabled' }, 'eth0 is down')), 'forwarding-disabled');
  assert.equal(classifyTrace(t({ kind: 'routing-loop' }, 'martian source 1.2.3.4')), 'routing-loop');
  assert.equal(classifyTrace(t({ kind: 'no-route' }, 'routing loop')), 'no-route');
  // A non-delivered hop without a reason is not guessed at.
  assert.equal(classifyTrace(t(undefined, 'forwarding is off on eth0')), 'path-unknown');
});

test('every hop that ends an engine trace carries a reason', () => {
  for (const k of [{ tunlRpFilter: '1' }, { cForward: '0' }, { cExtraRoutes: ['blackhole 10.244.3.0/26'] }]) {
    const w = world(k);
    const r = traceFlow(w, { evaluate: evaluateHook }, { kind: 'external', external: w.externals[0]! }, packet());
    const ended = r.flatMap((x) => [x.forward, ...(x.reply ? [x.reply] : [])]).filter((x) => x.verdict !== 'delivered');
    assert.ok(ended.length > 0);
    for (const x of ended) assert.ok(x.decisive?.reason !== undefined, JSON.stringify(x.decisive));
  }
});
