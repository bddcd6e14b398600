// External hosts (a LAN PC that netcheck did not probe): the receiver only of packets addressed to
// it, and a sender that reaches a node address on its own subnet directly, whatever node the pod
// network is routed through (--via). Both disagreed with the kernel in the differential test.
import { text } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import type { World } from '../../../src/engine/world.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { acceptAll, addr, host, link, route, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

function node(name: string, a: string): ReturnType<typeof host> {
  return withLocal(
    host(name, {
      links: [link(2, 'eth0')],
      addresses: [addr('eth0', `${a}/24`)],
      routes: [
        route('default via 192.168.1.1 dev eth0'),
        route(`192.168.1.0/24 dev eth0 proto kernel scope link src ${a}`),
      ],
      sysctls: { 'net.ipv4.ip_forward': '1' },
    }),
  );
}

const world: World = {
  hosts: new Map(
    [node('node-a', '192.168.1.11'), node('node-b', '192.168.1.12')].map((h) => [h.name, buildHostNet(h)]),
  ),
  pods: [],
  // The LAN router/PC is the nodes' default gateway; its route to the pod network names node-a.
  externals: [{ name: 'lan', ip: ip('192.168.1.1'), entry: { host: 'node-a', dev: 'eth0' } }],
};

const udp = (src: string, dst: string): Packet => ({
  src: ip(src),
  dst: ip(dst),
  proto: 'udp',
  sport: 40000,
  dport: 53,
  mark: 0,
  connmark: 0,
  length: 80,
});

test('a packet for somebody else handed to the external host is not delivered to it', () => {
  const [r] = traceFlow(
    world,
    { evaluate: acceptAll },
    { kind: 'host', host: 'node-a', ip: 0 },
    udp('192.168.1.11', '10.99.0.1'),
  );
  assert.equal(r!.forward.verdict, 'unknown');
  assert.match(text(r!.forward.decisive!.detail), /192\.168\.1\.1, which netcheck did not probe/);
});

test('a packet for the external host itself is delivered to it', () => {
  const [r] = traceFlow(
    world,
    { evaluate: acceptAll },
    { kind: 'host', host: 'node-b', ip: 0 },
    udp('192.168.1.12', '192.168.1.1'),
  );
  assert.equal(r!.forward.verdict, 'delivered');
  assert.equal(r!.forward.deliveredTo, 'lan');
});

test('the external host reaches a node address on its own subnet directly, not through its --via node', () => {
  const [r] = traceFlow(
    world,
    { evaluate: acceptAll },
    { kind: 'external', external: world.externals[0]! },
    udp('192.168.1.1', '192.168.1.12'),
  );
  assert.equal(r!.forward.verdict, 'delivered');
  assert.equal(r!.forward.deliveredTo, 'node-b');
  assert.equal(r!.forward.hops[0]!.node, 'node-b');
  assert.equal(r!.reply?.verdict, 'delivered');
});
