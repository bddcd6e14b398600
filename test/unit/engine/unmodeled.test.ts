// A route or policy rule with attributes the model does not represent (`unmodeled`: ipproto,
// dport, uidrange, lwtunnel encap, ...) must make the answer unknown, quoting the line, when it is
// the one that decides; and must not disturb lookups that it cannot decide. The node is the one
// test/fixtures/capture-ip.sh built (rules 117 "ipproto tcp dport 80" and 118 "uidrange", the
// route "10.204.0.0/16 encap ip ...").
import { text, texts } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { fibLookup } from '../../../src/engine/routing.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import type { World } from '../../../src/engine/world.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { buildHostState } from '../../../src/model/host.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { acceptAll, addr, host, link, route, rule, withLocal } from './model-builder.ts';

const ip = (s: string) => parseIpv4(s)!;

const node = buildHostNet(
  buildHostState('node', {
    sections: {
      'ip-addr': fixture('ip/ip-addr.json'),
      'ip-route': fixture('ip/ip-route.json'),
      'ip-rule': fixture('ip/ip-rule.json'),
      sysctl: fixture('ip/sysctl.txt'),
    },
    errors: {},
  }),
);

test('a rule with unmodelled selectors that would decide makes the lookup unknown', () => {
  // From 10.244.1.2 to 10.77.0.1: table 100 throws 10/8, main offers only the default (suppressed
  // by rule 113), rule 115 (inverted) sends it to table 100 again, which throws: rule 117 is next.
  const r = fibLookup(node, { dst: ip('10.77.0.1'), src: ip('10.244.1.2'), iif: 'lo', mark: 0, tos: 0 });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error === 'unknown');
  assert.equal(r.rule?.priority, 117);
  assert.deepEqual(r.unmodeled, ['ipproto', 'dport']);
});

test('a route with an lwtunnel encap that matches makes the lookup unknown', () => {
  const r = fibLookup(node, { dst: ip('10.204.3.4'), src: ip('10.244.1.2'), iif: 'lo', mark: 0, tos: 0 });
  assert.ok(!r.ok && r.error === 'unknown');
  assert.equal(r.route?.dst, '10.204.0.0/16');
  assert.deepEqual(r.unmodeled, ['encap ip']);
});

test('unmodelled rules after the deciding one change nothing', () => {
  // Rule 100 (from 10.244.0.0/16) → table 100 → default via 192.168.50.1, before rules 117/118.
  const r = fibLookup(node, { dst: ip('192.168.60.1'), src: ip('10.244.1.2'), iif: 'lo', mark: 0, tos: 0 });
  assert.ok(r.ok);
  assert.equal(r.rule?.priority, 100);
  assert.equal(r.route.gateway, '192.168.50.1');
});

test('the trace ends unknown on the rule, quoted as ip rule prints it', () => {
  const w: World = { hosts: new Map([['node', node]]), pods: [], externals: [] };
  const p = {
    src: ip('10.244.1.1'),
    dst: ip('10.77.0.1'),
    proto: 'udp' as const,
    sport: 40000,
    dport: 53,
    mark: 0,
    connmark: 0,
    length: 80,
  };
  const [res, ...more] = traceFlow(w, { evaluate: acceptAll }, { kind: 'host', host: 'node', ip: p.src }, p);
  assert.equal(more.length, 0);
  assert.equal(res!.forward.verdict, 'unknown');
  const hop = res!.forward.decisive!;
  assert.equal(hop.step, 'route');
  assert.ok(
    texts(hop.evidence).includes('117:\tfrom all ipproto tcp dport 80 lookup 100'),
    texts(hop.evidence).join('\n'),
  );
  assert.match(text(hop.detail), /ipproto, dport/);
});

test('the trace ends unknown on the route, quoted as ip route prints it', () => {
  const w: World = { hosts: new Map([['node', node]]), pods: [], externals: [] };
  const p = {
    src: ip('10.244.1.1'),
    dst: ip('10.204.3.4'),
    proto: 'udp' as const,
    sport: 40000,
    dport: 53,
    mark: 0,
    connmark: 0,
    length: 80,
  };
  const [res] = traceFlow(w, { evaluate: acceptAll }, { kind: 'host', host: 'node', ip: p.src }, p);
  assert.equal(res!.forward.verdict, 'unknown');
  assert.ok(
    texts(res!.forward.decisive!.evidence).includes(
      '10.204.0.0/16  encap ip id 5 src 0.0.0.0 dst 192.168.50.20 ttl 0 tos 0 dev vxlanext scope link',
    ),
    texts(res!.forward.decisive!.evidence).join('\n'),
  );
});

test('an unmodelled selector cannot matter when a modelled one already decides, with or without not', () => {
  const h = (r: ReturnType<typeof rule>) =>
    buildHostNet(
      withLocal(
        host('h', {
          links: [link(2, 'eth0')],
          addresses: [addr('eth0', '192.168.1.2/24')],
          routes: [
            route('192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.2'),
            route('default via 192.168.1.1 dev eth0 table 100'),
          ],
          rules: [rule(0, { table: 255 }), r, rule(32766, { table: 254 })],
        }),
      ),
    );
  const key = (src: string) => ({ dst: ip('8.8.8.8'), src: ip(src), iif: 'lo', mark: 0, tos: 0 });
  const plain = h(rule(50, { src: '10.0.0.0/8', table: 100, unmodeled: ['ipproto'] }));
  // Skipped for sure (main has no default, so nothing else routes it):
  assert.equal((fibLookup(plain, key('192.168.1.2')) as { error?: string }).error, 'no-route');
  assert.equal((fibLookup(plain, key('10.1.1.1')) as { error?: string }).error, 'unknown');
  const inverted = h(rule(50, { invert: true, src: '10.0.0.0/8', table: 100, unmodeled: ['ipproto'] }));
  const r = fibLookup(inverted, key('192.168.1.2'));
  assert.ok(r.ok, 'not from 10/8 matches 192.168.1.2 whatever the ipproto');
  assert.equal(r.rule?.priority, 50);
  assert.equal((fibLookup(inverted, key('10.1.1.1')) as { error?: string }).error, 'unknown');
});
