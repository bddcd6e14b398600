import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { fibLookup, preferredSource, selectAddress } from '../../../src/engine/routing.ts';
import { formatIpv4, parseIpv4 } from '../../../src/lib/ipv4.ts';
import { addr, host, link, route, rule, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;
const key = (dst: string, extra: Partial<{ src: string; iif: string; mark: number }> = {}) => ({
  dst: ip(dst),
  src: extra.src ? ip(extra.src) : 0,
  iif: extra.iif ?? 'lo',
  mark: extra.mark ?? 0,
  tos: 0,
});

const node = withLocal(
  host('n1', {
    links: [link(2, 'eth0'), link(3, 'eth1'), link(4, 'tunl0', { kind: 'ipip' })],
    addresses: [addr('eth0', '192.168.0.113/24'), addr('eth1', '192.168.3.113/24'), addr('tunl0', '10.122.17.64/32')],
    routes: [
      route('default via 192.168.3.1 dev eth1'),
      route('192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.113'),
      route('192.168.3.0/24 dev eth1 proto kernel scope link src 192.168.3.113'),
      route('10.122.127.128/26 via 192.168.0.111 dev tunl0 proto bird onlink'),
      route('blackhole 10.122.17.64/26 proto bird'),
      route('10.122.17.70 dev cali1 scope link'),
      route('10.9.0.0/16 via 192.168.0.1 dev eth0 metric 200'),
      route('10.9.0.0/16 via 192.168.3.1 dev eth1 metric 100'),
      route('10.50.0.0/16 via 192.168.3.254 dev eth1 table 100'),
      route('throw 10.50.1.0/24 table 100'),
    ],
    rules: [
      rule(0, { table: 255, raw: '0: from all lookup local' }),
      rule(100, { table: 100, fwmark: 0x10, fwmask: 0xff, raw: '100: from all fwmark 0x10/0xff lookup 100' }),
      rule(32766, { table: 254, raw: '32766: from all lookup main' }),
    ],
  }),
);
const h = buildHostNet(node);

test('longest prefix wins over the default route, blackhole and host routes are final', () => {
  const r = fibLookup(h, key('10.122.127.130'));
  assert.ok(r.ok);
  assert.equal(r.route.dst, '10.122.127.128/26');
  const b = fibLookup(h, key('10.122.17.65'));
  assert.ok(!b.ok);
  assert.equal(b.error, 'blackhole');
  const pod = fibLookup(h, key('10.122.17.70'));
  assert.ok(pod.ok);
  assert.equal(pod.route.dev, 'cali1', 'a /32 beats the covering blackhole');
});

test('equal prefixes: the lowest metric wins', () => {
  const r = fibLookup(h, key('10.9.1.1'));
  assert.ok(r.ok);
  assert.equal(r.route.gateway, '192.168.3.1');
});

test('fwmark rules select a table; throw falls through to the next rule', () => {
  const marked = fibLookup(h, key('10.50.2.2', { mark: 0x10 }));
  assert.ok(marked.ok);
  assert.equal(marked.route.table, 100);
  const thrown = fibLookup(h, key('10.50.1.2', { mark: 0x10 }));
  assert.ok(thrown.ok);
  assert.equal(thrown.route.dst, '0.0.0.0/0', 'throw in table 100 → main → default route');
  const unmarked = fibLookup(h, key('10.50.2.2', { mark: 0x20 }));
  assert.ok(unmarked.ok);
  assert.equal(unmarked.route.table, 254);
});

test('local addresses are found in the local table', () => {
  const r = fibLookup(h, key('192.168.3.113'));
  assert.ok(r.ok);
  assert.equal(r.route.type, 'local');
});

test('source selection: route src, else an address in the gateway subnet, else the first global one (INCIDENTS #3)', () => {
  const toPeer = fibLookup(h, key('192.168.0.111'));
  assert.ok(toPeer.ok);
  assert.equal(
    formatIpv4(preferredSource(h, toPeer.route)!),
    '192.168.0.113',
    'connected route on eth0 carries src 192.168.0.113',
  );
  const dflt = fibLookup(h, key('8.8.8.8'));
  assert.ok(dflt.ok);
  assert.equal(formatIpv4(preferredSource(h, dflt.route)!), '192.168.3.113');
  assert.equal(
    formatIpv4(selectAddress(h, 'cali1', 0, 0)!),
    '192.168.0.113',
    'a device without addresses borrows the first global address in ifindex order',
  );
});
