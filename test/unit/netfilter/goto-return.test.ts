// Jump, goto and RETURN as ipt_do_table() runs them (net/ipv4/netfilter/ip_tables.c): -j pushes
// the return position, -g does not, and RETURN with nothing pushed ends in the built-in chain's
// policy. Both backends print the rule set below the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { hookInput, host, only, path } from './helpers.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';

const env = host({ addrs: { eth0: ['192.168.1.1'] } });

const RULES = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD DROP [0:0]
  :OUTPUT ACCEPT [0:0]
  :dispatch - [0:0]
  :from-lan - [0:0]
  :lan-policy - [0:0]
  :log-drop - [0:0]
  :svc-web - [0:0]
  [0:0] -A FORWARD -i eth1 -g from-lan
  [0:0] -A FORWARD -i eth2 -j dispatch
  [0:0] -A FORWARD -j ACCEPT
  [0:0] -A dispatch -p tcp -m tcp --dport 80 -g svc-web
  [0:0] -A dispatch -j DROP
  [0:0] -A from-lan -p tcp -m tcp --dport 22 -j lan-policy
  [0:0] -A from-lan -p tcp -m tcp --dport 80 -j RETURN
  [0:0] -A from-lan -j log-drop
  [0:0] -A lan-policy -s 192.168.10.0/24 -j RETURN
  [0:0] -A lan-policy -j ACCEPT
  [0:0] -A log-drop -j LOG --log-prefix "lan-drop: "
  [0:0] -A log-drop -j DROP
  [0:0] -A svc-web -s 10.0.0.0/8 -j RETURN
  [0:0] -A svc-web -j DROP
  COMMIT
`;

for (const backend of ['nft', 'legacy'] as const) {
  const rs = iptablesSave(RULES, backend);
  const fwd = (inIface: string, src: string, dport: number, proto: 'tcp' | 'udp' = 'tcp') =>
    only(
      evaluateHook(
        [rs],
        hookInput({ hook: 'FORWARD', in: inIface, out: 'eth0', packet: { src, dst: '198.51.100.1', proto, dport } }),
        env,
      ),
    );

  test(`${backend}: RETURN in a chain goto'd from FORWARD ends in FORWARD's policy, skipping its later rules`, () => {
    const o = fwd('eth1', '192.168.10.5', 80);
    assert.equal(o.verdict, 'drop');
    assert.deepEqual(path(o), [
      'filter/FORWARD: goto from-lan',
      'filter/from-lan: RETURN',
      'filter/FORWARD: policy DROP',
    ]);
  });

  test(`${backend}: RETURN from a jumped chain resumes after the jump`, () => {
    const o = fwd('eth1', '192.168.10.5', 22);
    assert.equal(o.verdict, 'drop');
    assert.deepEqual(path(o), [
      'filter/FORWARD: goto from-lan',
      'filter/from-lan: jump lan-policy',
      'filter/lan-policy: RETURN',
      'filter/from-lan: jump log-drop',
      'filter/log-drop: LOG (continues)',
      'filter/log-drop: DROP',
    ]);
  });

  test(`${backend}: ACCEPT inside a nested chain ends the table`, () => {
    const o = fwd('eth1', '192.168.20.5', 22);
    assert.equal(o.verdict, 'accept');
    assert.deepEqual(path(o).slice(-1), ['filter/lan-policy: ACCEPT']);
  });

  test(`${backend}: RETURN in a chain goto'd from a jumped chain returns to the jumper's caller`, () => {
    const o = fwd('eth2', '10.1.1.1', 80);
    assert.equal(o.verdict, 'accept');
    assert.deepEqual(path(o), [
      'filter/FORWARD: jump dispatch',
      'filter/dispatch: goto svc-web',
      'filter/svc-web: RETURN',
      // Back in FORWARD after "-j dispatch", not in dispatch after "-g svc-web" (whose next rule is DROP).
      'filter/FORWARD: ACCEPT',
    ]);
  });

  test(`${backend}: without RETURN the goto'd chain decides`, () => {
    assert.equal(fwd('eth2', '192.168.1.9', 80).verdict, 'drop');
    assert.deepEqual(path(fwd('eth2', '10.1.1.1', 53, 'udp')), [
      'filter/FORWARD: jump dispatch',
      'filter/dispatch: DROP',
    ]);
  });

  test(`${backend}: other interfaces reach the final ACCEPT of FORWARD`, () => {
    assert.deepEqual(path(fwd('eth3', '10.1.1.1', 80)), ['filter/FORWARD: ACCEPT']);
  });
}
