// A match the evaluator cannot decide (here -m connlimit, which depends on how many connections
// are open) makes the outcome unknown with the rule quoted — but only when it matters: when every
// known match of the rule passes and the target would change the packet's fate. The rules as
// iptables v1.8.9 prints them; both backends print the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';
import { hookInput, host, only, path } from './helpers.ts';

const env = host({ addrs: { eth0: ['192.168.1.5'] } });

const RULES = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  -A INPUT -i lo -j ACCEPT
  -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  -A INPUT -p tcp -m tcp --dport 139 -m connlimit --connlimit-above 3 --connlimit-mask 32 --connlimit-saddr -j LOG --log-prefix "too many: "
  -A INPUT -p tcp -m connlimit --connlimit-above 3 --connlimit-mask 32 --connlimit-saddr -j DROP
  -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
  -A INPUT -p udp -m udp --dport 53 -j ACCEPT
  -A INPUT -j REJECT --reject-with icmp-host-prohibited
  COMMIT
`;

for (const backend of ['nft', 'legacy'] as const) {
  const rs = iptablesSave(RULES, backend);
  const input = (packet: Parameters<typeof hookInput>[0]['packet'], state?: 'ESTABLISHED') =>
    only(
      evaluateHook(
        [rs],
        hookInput({ hook: 'INPUT', in: 'eth0', packet, ...(state !== undefined ? { state } : {}) }),
        env,
      ),
    );

  test(`${backend}: a TCP packet reaching the connlimit → DROP rule is unknown, that rule quoted`, () => {
    const o = input({ src: '203.0.113.7', dst: '192.168.1.5', dport: 22 });
    assert.equal(o.verdict, 'unknown');
    assert.equal(o.unknown?.rule.position, 4);
    assert.match(o.unknown!.rule.raw, /-m connlimit --connlimit-above 3 .* -j DROP$/);
    assert.match(o.unknown!.reason, /-m connlimit: it depends on how many connections are open/);
    assert.equal(o.steps.at(-1)?.rule, o.unknown?.rule);
  });

  test(`${backend}: the connlimit → LOG rule before it is skipped (LOG does not change the verdict)`, () => {
    const o = input({ src: '203.0.113.7', dst: '192.168.1.5', dport: 139 });
    assert.equal(o.unknown?.rule.position, 4, 'the unknown is the DROP rule, not the LOG rule at position 3');
    assert.equal(
      o.steps.some((s) => s.rule?.position === 3),
      false,
    );
  });

  test(`${backend}: a UDP packet never depends on the connlimit rules (-p tcp fails first)`, () => {
    const o = input({ src: '203.0.113.7', dst: '192.168.1.5', proto: 'udp', dport: 53 });
    assert.equal(o.verdict, 'accept');
    assert.deepEqual(path(o), ['filter/INPUT: ACCEPT']);
    assert.equal(o.steps[0]?.rule?.position, 6);
  });

  test(`${backend}: an established connection is accepted before the connlimit rules`, () => {
    const o = input({ src: '203.0.113.7', dst: '192.168.1.5', dport: 22 }, 'ESTABLISHED');
    assert.equal(o.verdict, 'accept');
    assert.equal(o.steps.at(-1)?.rule?.position, 2);
  });

  test(`${backend}: ICMP falls through to the final REJECT with its --reject-with`, () => {
    const o = input({ src: '203.0.113.7', dst: '192.168.1.5', proto: 'icmp', icmpType: 8 });
    assert.equal(o.verdict, 'reject');
    assert.equal(o.rejectWith, 'icmp-host-prohibited');
  });
}
