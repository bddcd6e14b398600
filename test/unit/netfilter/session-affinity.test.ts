// sessionAffinity ClientIP decided by the kernel's xt_recent lists as the probe reads them
// (test/fixtures/xt-recent/lists.txt is the probe's real output; session-affinity.ts the rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXtRecent } from '../../../src/model/parse/xt-recent.ts';
import type { XtRecentState } from '../../../src/model/types.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { host } from './helpers.ts';
import { mismatches, packetTable } from './packet-table.ts';
import { AFFINITY_SEP, affinity, NEW_CLIENT, PINNED_CLIENT } from './session-affinity.ts';

const NODE = { addrs: { eth0: ['192.168.0.2'], cni0: ['10.0.0.1'], lo: ['127.0.0.1'] } };
const B = AFFINITY_SEP['10.180.0.4'];

/** Lists as collected at jiffy `now`, 10.0.0.2 seen in B's list at `seen`. */
function lists(now: number | undefined, seen?: number): XtRecentState {
  const state: XtRecentState = {
    lists: new Map([
      [AFFINITY_SEP['10.180.0.3'], []],
      [B, seen === undefined ? [] : [{ addr: '10.0.0.2', ttl: 64, stamps: [seen] }]],
    ]),
  };
  if (now !== undefined) state.jiffies = now;
  return state;
}

test("the probe's xt-recent section: jiffies, every list, IPv4 entries with their time stamps", () => {
  const r = parseXtRecent(fixture('xt-recent/lists.txt'));
  assert.deepEqual(r.warnings, []);
  assert.equal(typeof r.value.jiffies, 'number');
  assert.deepEqual([...r.value.lists.keys()], ['KUBE-SEP-I77PXRDZVX7PMWMN', 'burst', 'icmp', 'pinged6']);
  assert.deepEqual(
    r.value.lists.get('KUBE-SEP-I77PXRDZVX7PMWMN')?.map((e) => [e.addr, e.ttl, e.stamps.length]),
    [['10.9.0.2', 64, 1]],
  );
  // --mask 255.255.255.0: the list holds the masked address.
  assert.deepEqual(
    r.value.lists.get('burst')?.map((e) => e.addr),
    ['10.9.0.0'],
  );
  // IPv6 entries are skipped, their list kept.
  assert.deepEqual(r.value.lists.get('pinged6'), []);
  for (const e of r.value.lists.get('burst') ?? []) for (const t of e.stamps) assert.ok(t <= r.value.jiffies!);
});

packetTable('sessionAffinity, lists not collected', [affinity], host(NODE), [
  {
    ...NEW_CLIENT,
    branch:
      /xt_recent list KUBE-SEP-\w+: 10\.0\.0\.2 taken as not listed \(a new client; the lists were not collected\)/,
  },
]);
packetTable('sessionAffinity, lists collected and empty', [affinity], { ...host(NODE), recent: lists(5_000_000) }, [
  { ...NEW_CLIENT, branch: /xt_recent list KUBE-SEP-\w+: 10\.0\.0\.2 not listed at collection/ },
]);
packetTable(
  'sessionAffinity, listed a moment ago',
  [affinity],
  { ...host(NODE), recent: lists(5_000_000, 4_999_000) },
  [PINNED_CLIENT],
);
// 10800 s is 1,080,000 jiffies at HZ 100 and 10,800,000 at HZ 1000.
packetTable(
  'sessionAffinity, listed longer ago than 10800 s at any HZ',
  [affinity],
  {
    ...host(NODE),
    recent: lists(20_000_000, 20_000_000 - 10_800_001),
  },
  [{ ...NEW_CLIENT, name: 'an expired listing counts for nothing: either endpoint' }],
);

test('sessionAffinity: an age inside the window at one HZ and outside at another is unknown, naming HZ', () => {
  const env = { ...host(NODE), recent: lists(20_000_000, 20_000_000 - 2_000_000) };
  const m = mismatches([affinity], env, {
    ...PINNED_CLIENT,
    want: 'UNKNOWN',
    rule: /--rcheck --seconds 10800 --reap/,
    branch: undefined,
  });
  assert.deepEqual(m, []);
});

test("sessionAffinity: without the jiffies counter a listed client's age is unknown", () => {
  const env = { ...host(NODE), recent: lists(undefined, 4_999_000) };
  assert.deepEqual(
    mismatches([affinity], env, { ...PINNED_CLIENT, want: 'UNKNOWN', rule: /--rcheck/, branch: undefined }),
    [],
  );
});
