// indexWorld builds the pod index with the world instead of on the first trace. The answers must
// be those of the lazily built index: the first pod listed for an address wins, and a pod added
// to the list after indexing is still found (the index is rebuilt when the list grows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { indexWorld, resolveReceiver } from '../../../src/engine/world.ts';
import type { World } from '../../../src/engine/world.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { addr, host, link, route, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

function world(): World {
  const n = withLocal(
    host('node', {
      links: [link(2, 'eth0'), link(3, 'cni0', { kind: 'bridge' })],
      addresses: [addr('eth0', '192.168.1.11/24'), addr('cni0', '10.244.3.1/24')],
      routes: ['default via 192.168.1.1 dev eth0', '10.244.3.0/24 dev cni0 proto kernel scope link src 10.244.3.1'].map(
        route,
      ),
    }),
  );
  return {
    hosts: new Map([['node', buildHostNet(n)]]),
    pods: [
      { name: 'default/web', ip: ip('10.244.3.5'), node: 'node' },
      { name: 'default/stale', ip: ip('10.244.3.5'), node: 'node' },
      { name: 'default/elsewhere', ip: ip('10.244.3.6'), node: 'other' },
    ],
    externals: [],
  };
}

function receiverName(w: World, dst: string): string {
  const r = resolveReceiver(w, w.hosts.get('node')!, 'cni0', ip(dst), ip(dst));
  return r.kind === 'pod' ? r.pod.name : r.kind;
}

test('indexWorld returns the world it indexed, and the first pod listed for an address receives', () => {
  const w = world();
  assert.equal(indexWorld(w), w);
  assert.equal(receiverName(w, '10.244.3.5'), 'default/web');
  // A pod of another node is not behind this node's bridge: the address is only on-link.
  assert.equal(receiverName(w, '10.244.3.6'), 'gateway');
});

test('a pod added after indexWorld is found', () => {
  const w = indexWorld(world());
  assert.equal(receiverName(w, '10.244.3.7'), 'gateway');
  w.pods.push({ name: 'default/late', ip: ip('10.244.3.7'), node: 'node' });
  assert.equal(receiverName(w, '10.244.3.7'), 'default/late');
});
