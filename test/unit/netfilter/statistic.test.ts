// -m statistic forks the walk (xt_statistic.c): both outcomes are explored and labelled, up to
// OUTCOME_CAP outcomes; beyond that the rest is reported unknown.
// The rule set: ten 50% rules, one nth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule } from '../../../src/engine/netfilter/compile.ts';
import { evaluateHook, OUTCOME_CAP } from '../../../src/engine/netfilter/evaluate.ts';
import { hookInput, host } from './helpers.ts';
import { iptablesSave, oneRule } from '../../helpers/iptables-inline.ts';

const fanout = iptablesSave(`
  *mangle
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x1/0x1
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x2/0x2
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x4/0x4
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x8/0x8
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x10/0x10
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x20/0x20
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x40/0x40
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x80/0x80
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x100/0x100
  [0:0] -A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x200/0x200
  [0:0] -A PREROUTING -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --save-mark --nfmask 0xffff --ctmask 0xffff
  COMMIT
`);
const single = (line: string) => {
  const r = oneRule(line, 'mangle');
  return compileRule(r.rule, r.table);
};

test('random mode: a fork with the probability the kernel uses (rounded to 31 bits)', () => {
  const cr = single('-A PREROUTING -m statistic --mode random --probability 0.50000000000 -j MARK --set-xmark 0x1/0x1');
  assert.equal(cr.forks.length, 1);
  assert.equal(cr.forks[0]!.probability, 0.5);
  assert.equal(cr.forks[0]!.label, 'statistic --mode random --probability 0.50000000000');
  assert.deepEqual(cr.preds, []);
});

test('nth mode: every 3rd packet, so a 1/3 branch', () => {
  const cr = single(
    '-A PREROUTING -m statistic --mode nth --every 3 --packet 0 -j CONNMARK --save-mark --nfmask 0xffff --ctmask 0xffff',
  );
  assert.equal(cr.forks[0]!.probability, 1 / 3);
  assert.equal(cr.forks[0]!.label, 'statistic --mode nth --every 3');
});

test(`2^10 × 2 possible branches are capped at ${OUTCOME_CAP} outcomes, the rest reported unknown`, () => {
  const outcomes = evaluateHook(
    [fanout],
    hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.0.2.1', dst: '192.0.2.2' } }),
    host(),
  );
  assert.equal(outcomes.length, OUTCOME_CAP);
  const unknown = outcomes.filter((o) => o.verdict === 'unknown');
  const accepted = outcomes.filter((o) => o.verdict === 'accept');
  assert.ok(unknown.length > 0 && accepted.length > 0);
  assert.equal(unknown.length + accepted.length, OUTCOME_CAP);
  for (const o of unknown) assert.match(o.unknown!.reason, new RegExp(`more than ${OUTCOME_CAP} statistic branches`));
  // Every fully explored branch carries one label per statistic rule and the mark its branches imply.
  for (const o of accepted) {
    assert.equal(o.branch.length, 11);
    let mark = 0;
    o.branch.slice(0, 10).forEach((b, i) => {
      if (/: matched/.test(b)) mark |= 1 << i;
    });
    assert.equal(o.packet.mark, mark);
  }
  // No two explored branches are the same.
  assert.equal(new Set(accepted.map((o) => o.branch.join('|'))).size, accepted.length);
});
