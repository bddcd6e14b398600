// The nat table decides only for the first packet of a connection: nf_nat_inet_fn
// (net/netfilter/nf_nat_core.c) runs the nat chains only while the conntrack entry has no binding
// for that direction; later packets and replies are translated by conntrack, untracked ones never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { CtState } from '../../../src/engine/netfilter/types.ts';
import { fmt, hookInput, host, ip, only, ruleset } from './helpers.ts';

const nft = ruleset('netfilter/output/kube-proxy.iptables-nft-save.txt', 'nft');
const node = host({ addrs: { eth0: ['192.168.99.10'] } });
const toService = { src: '10.1.0.20', dst: '172.30.0.41' };

test('NEW: the first packet is DNATed', () => {
  const o = only(evaluateHook([nft], hookInput({ hook: 'PREROUTING', in: 'cni0', packet: toService }), node));
  assert.equal(fmt(o.packet.dst), '10.180.0.1');
});

for (const state of ['ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'] as CtState[]) {
  test(`${state}: the nat chains are not consulted`, () => {
    const o = only(evaluateHook([nft], hookInput({ hook: 'PREROUTING', in: 'cni0', state, packet: toService }), node));
    assert.equal(o.nat, undefined);
    assert.equal(o.packet.dst, ip('172.30.0.41'));
    assert.equal(
      o.steps.some((s) => s.table === 'nat'),
      false,
    );
  });
}

test('a reply is not matched against nat rules either', () => {
  const o = only(
    evaluateHook(
      [nft],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        state: 'ESTABLISHED',
        ct: { direction: 'REPLY', dnat: true },
        packet: { src: '192.168.99.50', dst: '192.168.99.10', dport: 3003 },
      }),
      node,
    ),
  );
  assert.equal(o.nat, undefined);
});

test('a NEW connection that already has its DNAT binding skips nat PREROUTING but not nat POSTROUTING', () => {
  const bound = { dnat: true };
  const pre = only(
    evaluateHook([nft], hookInput({ hook: 'PREROUTING', in: 'lo', ct: bound, packet: toService }), node),
  );
  assert.equal(
    pre.steps.some((s) => s.table === 'nat'),
    false,
  );
  const post = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', ct: bound, packet: { ...toService, mark: 0x4000 } }),
      node,
    ),
  );
  assert.equal(post.nat?.kind, 'masquerade');
});
