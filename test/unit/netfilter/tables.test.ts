// Which tables run on a hook and in what order (hooks.ts, include/uapi/linux/netfilter_ipv4.h),
// and that ACCEPT ends only the table it is in while DROP ends the hook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { HOOK_TABLES } from '../../../src/engine/netfilter/hooks.ts';
import { hookInput, host, only, path, ruleset } from './helpers.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';

test('tables per hook in the kernel priority order', () => {
  const order = Object.fromEntries(
    Object.entries(HOOK_TABLES).map(([h, slots]) => [h, slots.map((s) => `${s.table}@${s.priority}`)]),
  );
  assert.deepEqual(order, {
    PREROUTING: ['raw@-300', 'mangle@-150', 'nat@-100'],
    INPUT: ['mangle@-150', 'filter@0', 'security@50', 'nat@100'],
    FORWARD: ['mangle@-150', 'filter@0', 'security@50'],
    OUTPUT: ['raw@-300', 'mangle@-150', 'nat@-100', 'filter@0', 'security@50'],
    POSTROUTING: ['mangle@-150', 'nat@100'],
  });
});

test('a walk visits the built-in chains of every table of the hook, in order', () => {
  // Calico has raw, mangle, nat and filter: OUTPUT passes all of them, raw first, filter last.
  const calico = ruleset('netfilter/output/calico.iptables-nft-save.txt', 'nft');
  const o = only(
    evaluateHook(
      [calico],
      hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.168.3.110', dst: '8.8.8.8' } }),
      host({ addrs: { eth0: ['192.168.3.110'] } }),
    ),
  );
  const tables = [...new Set(o.steps.map((s) => s.table))];
  assert.deepEqual(tables, ['raw', 'mangle', 'nat', 'filter']);
});

const rs = iptablesSave(`
  *raw
  :PREROUTING ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  [0:0] -A PREROUTING -i eth0 -p udp -m udp --dport 4789 -j CT --notrack
  [0:0] -A PREROUTING -i eth0 -p udp -m udp --dport 4789 -j ACCEPT
  COMMIT
  *filter
  :INPUT DROP [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  [0:0] -A INPUT -i lo -j ACCEPT
  [0:0] -A INPUT -s 192.168.3.0/24 -p udp -m conntrack --ctstate UNTRACKED -m udp --dport 4789 -j ACCEPT
  [0:0] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  COMMIT
`);
const env = host({ addrs: { eth0: ['192.168.3.110'] } });

test('ACCEPT in raw ends raw only: filter INPUT still runs and accepts the untracked VXLAN packet', () => {
  const pre = only(
    evaluateHook(
      [rs],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        packet: { src: '192.168.3.111', dst: '192.168.3.110', proto: 'udp', dport: 4789 },
      }),
      env,
    ),
  );
  assert.equal(pre.verdict, 'accept');
  assert.equal(pre.ct.state, 'UNTRACKED');
  assert.deepEqual(path(pre), [
    'raw/PREROUTING: NOTRACK: conntrack will not track this packet (UNTRACKED)',
    'raw/PREROUTING: ACCEPT',
  ]);
  const input = only(
    evaluateHook(
      [rs],
      {
        ...hookInput({
          hook: 'INPUT',
          in: 'eth0',
          packet: { src: '192.168.3.111', dst: '192.168.3.110', proto: 'udp', dport: 4789 },
        }),
        ct: pre.ct,
      },
      env,
    ),
  );
  assert.equal(input.verdict, 'accept');
  assert.equal(input.steps.at(-1)?.rule?.position, 2);
});

test('ACCEPT in raw does not save a packet that filter drops later', () => {
  const input = only(
    evaluateHook(
      [rs],
      hookInput({
        hook: 'INPUT',
        in: 'eth0',
        state: 'UNTRACKED',
        packet: { src: '10.9.9.9', dst: '192.168.3.110', proto: 'udp', dport: 4789 },
      }),
      env,
    ),
  );
  assert.equal(input.verdict, 'drop');
  assert.equal(input.steps.at(-1)?.action, 'policy DROP');
});
