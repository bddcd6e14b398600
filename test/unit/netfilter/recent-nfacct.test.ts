// -m recent (xt_recent.c recent_mt) and -m nfacct (xt_nfacct.c nfacct_mt): the tables of
// recent-nfacct.ts in the engine (test/lab/kube-proxy-rules.test.ts sends them through the kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';
import { hookInput, only } from './helpers.ts';
import { packetTable } from './packet-table.ts';
import {
  ACROSS_HOOKS_ROWS,
  ACROSS_HOOKS_TEXT,
  NFACCT_ROWS,
  NFACCT_TEXT,
  RECENT_NODE as env,
  RECENT_ROWS,
  RECENT_TEXT,
} from './recent-nfacct.ts';

const portscan = iptablesSave(RECENT_TEXT);
packetTable('recent', [portscan], env, RECENT_ROWS);
packetTable('recent across hooks', [iptablesSave(ACROSS_HOOKS_TEXT)], env, ACROSS_HOOKS_ROWS);
packetTable('nfacct', [iptablesSave(NFACCT_TEXT)], env, NFACCT_ROWS);

test('a later packet of the connection may find its own earlier entries: unknown, the rule quoted', () => {
  const o = only(
    evaluateHook(
      [portscan],
      hookInput({
        hook: 'INPUT',
        in: 'eth0',
        state: 'RELATED',
        ct: { direction: 'REPLY' },
        packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 80 },
      }),
      env,
    ),
  );
  // RELATED,ESTABLISHED is accepted first; a REPLY that is not (INVALID) reaches the recent rules.
  assert.equal(o.verdict, 'accept');
  const invalid = only(
    evaluateHook(
      [portscan],
      hookInput({
        hook: 'INPUT',
        in: 'eth0',
        state: 'INVALID',
        packet: { src: '203.0.113.7', dst: '192.168.1.5', dport: 80 },
      }),
      env,
    ),
  );
  assert.equal(invalid.verdict, 'unknown');
  assert.match(invalid.unknown!.rule.raw, /--rcheck --seconds 86400 --name portscan/);
  assert.match(invalid.unknown!.reason, /earlier packets of this connection may have added 203\.0\.113\.7/);
});
