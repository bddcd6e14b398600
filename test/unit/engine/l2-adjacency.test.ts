// Who receives a frame sent out of a device toward a next hop (engine/world.ts resolveReceiver),
// decided from evidence: the sender's neighbour entry names the receiving device by its MAC; a MAC
// on two probed hosts is no evidence; with nothing to decide it the answer is undecided (the walk
// says unknown), even with a FAILED entry, which the kernel resolves again on the next packet.
import { text } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { resolveReceiver } from '../../../src/engine/world.ts';
import type { World } from '../../../src/engine/world.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import type { HostState, Neighbor } from '../../../src/model/types.ts';
import { addr, host, link, route, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;
const MAC_B0 = '02:00:00:00:0b:00';
const MAC_B1 = '02:00:00:00:0b:01';

function neighbor(dst: string, dev: string, state: string, lladdr?: string): Neighbor {
  return {
    dst,
    dev,
    state: [state],
    ...(lladdr !== undefined ? { lladdr } : {}),
    raw: `${dst} dev ${dev}${lladdr ? ` lladdr ${lladdr}` : ''} ${state}`,
  };
}

/** node-a (eth0 192.168.1.11/24, on-link route to 192.168.3.0/24); node-b with two NICs on one switch. */
function world(neighbors: Neighbor[], extra: HostState[] = []): World {
  const a = withLocal(
    host('node-a', {
      links: [link(2, 'eth0', { mac: '02:00:00:00:0a:00' })],
      addresses: [addr('eth0', '192.168.1.11/24')],
      routes: [
        route('192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.11'),
        route('192.168.3.0/24 dev eth0 scope link'),
      ],
    }),
  );
  a.neighbors = neighbors;
  const b = withLocal(
    host('node-b', {
      links: [link(2, 'eth0', { mac: MAC_B0 }), link(3, 'eth1', { mac: MAC_B1 })],
      addresses: [addr('eth0', '192.168.1.12/24'), addr('eth1', '192.168.3.12/24')],
      routes: [
        route('192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.12'),
        route('192.168.3.0/24 dev eth1 proto kernel scope link src 192.168.3.12'),
      ],
    }),
  );
  return { hosts: new Map([a, b, ...extra].map((h) => [h.name, buildHostNet(h)])), pods: [], externals: [] };
}

const resolve = (w: World) =>
  resolveReceiver(w, w.hosts.get('node-a')!, 'eth0', ip('192.168.3.12'), ip('192.168.3.12'));

test("a second subnet on the segment: node-a's neighbour entry names node-b's NIC by its MAC", () => {
  for (const state of ['REACHABLE', 'STALE', 'PERMANENT']) {
    const r = resolve(world([neighbor('192.168.3.12', 'eth0', state, MAC_B1)]));
    assert.equal(r.kind, 'host', state);
    assert.deepEqual(r.kind === 'host' ? [r.host, r.dev] : [], ['node-b', 'eth1']);
  }
  // ARP flux: node-b's eth0 answered for its eth1 address; the frame arrives on eth0.
  const r = resolve(world([neighbor('192.168.3.12', 'eth0', 'REACHABLE', MAC_B0)]));
  assert.deepEqual(r.kind === 'host' ? [r.host, r.dev] : r, ['node-b', 'eth0']);
});

test('without a usable entry: undecided, naming what to collect — a FAILED entry included', () => {
  for (const n of [
    [],
    [neighbor('192.168.3.12', 'eth0', 'FAILED')],
    [neighbor('192.168.3.12', 'eth0', 'INCOMPLETE')],
  ]) {
    const r = resolve(world(n));
    assert.equal(r.kind, 'undecided', JSON.stringify(r));
    assert.match(
      r.kind === 'undecided' ? text(r.why) : '',
      /node-b holds it on eth1.*ip neigh show 192\.168\.3\.12 dev eth0/,
    );
  }
});

test('a MAC on two probed hosts is no evidence (Calico gives every cali* veth ee:ee:ee:ee:ee:ee)', () => {
  const c = withLocal(host('node-c', { links: [link(2, 'eth9', { mac: MAC_B1 })] }));
  const r = resolve(world([neighbor('192.168.3.12', 'eth0', 'REACHABLE', MAC_B1)], [c]));
  assert.equal(r.kind, 'undecided');
});
