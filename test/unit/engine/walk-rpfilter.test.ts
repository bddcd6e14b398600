// docs/incidents.md #1 on a hand-built model with IPIP (the lab kernel has no IPIP; the lab reproduces
// the same fault over VXLAN): strict rp_filter on tunl0 of the pod's node drops LAN → pod traffic
// that entered the cluster through another node.
import { texts } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import type { World } from '../../../src/engine/world.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { acceptAll, ipipNodeC, ipipNodeD } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

function world(tunlRpFilter: string): World {
  const c = ipipNodeC({
    'net.ipv4.ip_forward': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.ens18.rp_filter': '0',
  });
  const d = ipipNodeD({
    'net.ipv4.ip_forward': '1',
    'net.ipv4.conf.all.rp_filter': '0',
    'net.ipv4.conf.default.rp_filter': '1',
    'net.ipv4.conf.tunl0.rp_filter': tunlRpFilter,
    'net.ipv4.conf.cali123.rp_filter': '1',
    'net.ipv4.conf.ens18.rp_filter': '0',
  });
  return {
    hosts: new Map([c, d].map((h) => [h.name, buildHostNet(h)])),
    pods: [{ name: 'default/web', ip: ip('10.244.3.5'), node: 'node-d' }],
    externals: [{ name: 'lan-pc', ip: ip('192.168.1.50'), entry: { host: 'node-c', dev: 'ens18' } }],
  };
}

const syn = (): Packet => ({
  src: ip('192.168.1.50'),
  dst: ip('10.244.3.5'),
  proto: 'udp',
  sport: 40000,
  dport: 8080,
  mark: 0,
  connmark: 0,
  length: 100,
});

test('strict rp_filter on tunl0 drops the decapsulated packet, naming the sysctl and the reverse route', () => {
  const w = world('1');
  const [r, ...more] = traceFlow(w, { evaluate: acceptAll }, { kind: 'external', external: w.externals[0]! }, syn());
  assert.equal(more.length, 0);
  const f = r!.forward;
  assert.equal(f.verdict, 'dropped');
  assert.equal(f.decisive?.step, 'rp-filter');
  assert.equal(f.decisive?.node, 'node-d');
  assert.equal(f.decisive?.device, 'tunl0');
  assert.ok(texts(f.decisive?.evidence ?? []).includes('net.ipv4.conf.tunl0.rp_filter = 1'));
  assert.ok(
    texts(f.decisive?.evidence ?? []).some((e) => e.includes('192.168.1.0/24 dev ens18')),
    'names the reverse route',
  );
  const steps = f.hops.map((h) => `${h.node}:${h.step}`);
  assert.deepEqual(steps.slice(0, 4), ['node-c:enter', 'node-c:route', 'node-c:encapsulate', 'node-c:route']);
  assert.ok(steps.includes('node-d:decapsulate'));
});

test('loose rp_filter lets it through; the reply leaves node-d straight to the LAN host from the pod address', () => {
  const w = world('2');
  const [r] = traceFlow(w, { evaluate: acceptAll }, { kind: 'external', external: w.externals[0]! }, syn());
  assert.equal(r!.forward.verdict, 'delivered');
  assert.equal(r!.forward.deliveredTo, 'pod default/web');
  assert.deepEqual(r!.forward.seenAs, { src: '192.168.1.50', dst: '10.244.3.5', sport: 40000, dport: 8080 });
  assert.equal(r!.reply?.verdict, 'delivered');
  assert.deepEqual(r!.reply?.seenAs, { src: '10.244.3.5', dst: '192.168.1.50', sport: 8080, dport: 40000 });
  assert.ok(
    r!.reply!.hops.every((h) => h.node === 'node-d'),
    'asymmetric: the reply never touches node-c',
  );
});
