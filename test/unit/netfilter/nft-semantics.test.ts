// Hook and chain semantics of native nftables beside iptables (test/fixtures/netfilter/input/
// nft-semantics.nft, loaded with `nft -f`, dumped with `nft -j list ruleset`): an accept ends only
// its own base chain, a drop anywhere is final, base chains run by priority interleaved with the
// iptables tables, goto does not come back, ip6 tables never see an IPv4 packet, ingress and
// bridge chains that can see the packet make it unknown, and an unmodelled statement is reported
// with its rule and handle — unless a later match of the rule fails or nothing after it acts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { parseIptablesSave } from '../../../src/model/parse/iptables-save.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { fixture, hookInput, host, only, path, type PacketSpec } from './helpers.ts';

const nft = parseNftJson(fixture('netfilter/output/nft-semantics.nft.json')).value;
const ipt = parseIptablesSave(
  [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A FORWARD -d 10.0.0.1/32 -j DROP',
    '-A FORWARD -d 10.0.0.2/32 -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n'),
  'nft',
).value;
const env = host({ addrs: { eth0: ['192.168.0.2'] } });

function forward(p: Partial<PacketSpec> & { dst: string }) {
  return only(
    evaluateHook(
      [ipt],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'eth1', packet: { src: '192.0.2.9', ...p } }),
      env,
      nft,
    ),
  );
}

test('a native accept at priority -5 does not stop iptables filter (0) from dropping', () => {
  const o = forward({ dst: '10.0.0.1' });
  assert.equal(o.verdict, 'drop');
  assert.deepEqual(path(o), ['early/forward-chain: accept', 'filter/FORWARD: DROP']);
});

test('an iptables accept does not stop a native chain at priority 10 from dropping', () => {
  const o = forward({ dst: '10.0.0.2' });
  assert.equal(o.verdict, 'drop');
  const last = o.steps.at(-1)!;
  assert.deepEqual(
    [last.backend, last.family, last.table, last.raw],
    ['nftables', 'ip', 'late', 'ip daddr 10.0.0.2 drop # handle 4'],
  );
});

test('an unmodelled statement on the path: unknown, the rule quoted with its handle', () => {
  const o = forward({ dst: '10.0.0.3' });
  assert.equal(o.verdict, 'unknown');
  assert.match(o.unknown!.reason, /setting .*dscp.* is not modelled/);
  assert.equal('text' in o.unknown!.rule ? o.unknown!.rule.text : '', 'ip daddr 10.0.0.3 ip dscp set cs1 # handle 5');
});

/** A packet the host sends (OUTPUT): its socket's owner is not collected. */
function output(p: Partial<PacketSpec> & { dst: string }) {
  return only(
    evaluateHook([ipt], hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.168.0.2', ...p } }), env, nft),
  );
}

test('an undecidable match before a counter only: nothing changes either way', () => {
  assert.equal(output({ dst: '10.0.0.4' }).verdict, 'accept');
});

test('an undecidable match before a drop: a later match that fails settles it, else unknown', () => {
  assert.equal(output({ dst: '10.0.0.5', dport: 80 }).verdict, 'accept');
  const o = output({ dst: '10.0.0.5', dport: 22 });
  assert.equal(o.verdict, 'unknown');
  assert.match(
    o.unknown!.reason,
    /meta skuid reads the owner of the packet's socket, which is not collected \(a packet the host sends\)/,
  );
});

test('meta skuid on a forwarded packet: no socket, so the rule breaks (nft_meta_get_eval_skugid) and the drop is not taken', () => {
  assert.equal(forward({ dst: '10.0.0.5', dport: 22 }).verdict, 'accept');
});

test('goto does not come back: a return from the goto target ends the base chain (policy)', () => {
  const o = forward({ dst: '10.0.0.6', src: '192.0.2.1' });
  assert.equal(o.verdict, 'accept');
  assert.equal(o.steps.at(-1)!.action, 'policy accept');
  assert.ok(!o.steps.some((s) => s.raw.includes('handle 9')));
});

test('jump returns to the next rule; a drop in a nested chain is final', () => {
  assert.match(forward({ dst: '10.0.0.6', src: '192.0.2.2' }).steps.at(-1)!.raw, /^accept # handle 12$/);
  assert.equal(forward({ dst: '10.0.0.6', src: '192.0.2.3' }).verdict, 'drop');
});

test('an ip6 table with policy drop never sees an IPv4 packet', () => {
  assert.equal(forward({ dst: '10.0.0.9' }).verdict, 'accept');
});

test('a netdev ingress chain: unknown with the chain quoted (nft 1.0.6 -j omits its device, so on any device)', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.0.2.9', dst: '10.0.0.9' } }),
      env,
      nft,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.match(o.unknown!.reason, /netdev chain edge\/ingress-chain \(hook ingress\)/);
  assert.match(
    o.steps[0]!.raw,
    /^table netdev edge chain ingress-chain \{ type filter hook ingress priority 0; policy accept; \}$/,
  );
  // Leaving the host is not ingress: the same ruleset decides OUTPUT.
  assert.equal(
    only(
      evaluateHook(
        [],
        hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.168.0.2', dst: '10.0.0.9' } }),
        env,
        nft,
      ),
    ).verdict,
    'accept',
  );
});

test('a bridged packet meets the bridge family chain: unknown', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({
        hook: 'FORWARD',
        in: 'br0',
        out: 'br0',
        packet: { src: '10.0.0.7', dst: '10.0.0.9' },
        physdev: { in: 'veth1', out: 'veth2', bridged: true },
      }),
      env,
      nft,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.match(o.unknown!.reason, /bridge chain br\/forward-chain/);
});
