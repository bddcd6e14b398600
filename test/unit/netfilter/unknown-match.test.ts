// A match the evaluator cannot decide (here -m recent, which depends on earlier packets) makes the
// outcome unknown with the rule quoted — but only when it matters: when every known match of the
// rule passes and the target would change the packet's fate.
// Fixture: test/fixtures/netfilter-eval/input/portscan.iptables, dumped by both backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { hookInput, host, only, path, ruleset } from './helpers.ts';

const env = host({ addrs: { eth0: ['192.168.1.5'] } });

for (const backend of ['nft', 'legacy'] as const) {
  const rs = ruleset(`netfilter-eval/output/portscan.iptables-${backend}-save.txt`, backend);

  test(`${backend}: a TCP packet reaching the recent → DROP rule is unknown, that rule quoted`, () => {
    const o = only(
      evaluateHook(
        [rs],
        hookInput({ hook: 'INPUT', in: 'eth0', packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 22 } }),
        env,
      ),
    );
    assert.equal(o.verdict, 'unknown');
    assert.equal(o.unknown?.rule.position, 4);
    assert.match(o.unknown!.rule.raw, /-m recent --rcheck --seconds 86400 --name portscan .* -j DROP$/);
    assert.match(o.unknown!.reason, /-m recent: it depends on packets seen before/);
    assert.equal(o.steps.at(-1)?.rule, o.unknown?.rule);
  });

  test(`${backend}: the recent → LOG rule before it is skipped (LOG does not change the verdict)`, () => {
    const o = only(
      evaluateHook(
        [rs],
        hookInput({ hook: 'INPUT', in: 'eth0', packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 139 } }),
        env,
      ),
    );
    assert.equal(o.unknown?.rule.position, 4, 'the unknown is the DROP rule, not the LOG rule at position 3');
    assert.equal(
      o.steps.some((s) => s.rule?.position === 3),
      false,
    );
  });

  test(`${backend}: a UDP packet never depends on the recent rules (-p tcp fails first)`, () => {
    const o = only(
      evaluateHook(
        [rs],
        hookInput({
          hook: 'INPUT',
          in: 'eth0',
          packet: { src: '203.0.113.7', dst: '192.168.1.5', proto: 'udp', dport: 53 },
        }),
        env,
      ),
    );
    assert.equal(o.verdict, 'accept');
    assert.deepEqual(path(o), ['filter/INPUT: ACCEPT']);
    assert.equal(o.steps[0]?.rule?.position, 6);
  });

  test(`${backend}: an established connection is accepted before the recent rules`, () => {
    const o = only(
      evaluateHook(
        [rs],
        hookInput({
          hook: 'INPUT',
          in: 'eth0',
          state: 'ESTABLISHED',
          packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 22 },
        }),
        env,
      ),
    );
    assert.equal(o.verdict, 'accept');
    assert.equal(o.steps.at(-1)?.rule?.position, 2);
  });

  test(`${backend}: ICMP falls through to the final REJECT with its --reject-with`, () => {
    const o = only(
      evaluateHook(
        [rs],
        hookInput({
          hook: 'INPUT',
          in: 'eth0',
          packet: { src: '203.0.113.7', dst: '192.168.1.5', proto: 'icmp', icmpType: 8 },
        }),
        env,
      ),
    );
    assert.equal(o.verdict, 'reject');
    assert.equal(o.rejectWith, 'icmp-host-prohibited');
  });
}
