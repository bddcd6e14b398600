// The conntrack check on a node built from the probe's real output (test/fixtures/conntrack/): the
// captured namespace is healthy; the table-full and insert-failed cases raise numbers in the
// captured lines (the kernel here does not let a namespace lower nf_conntrack_max, and no lab
// traffic made insert_failed count: test/fixtures/SOURCES.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONNTRACK_ERROR_USE, CONNTRACK_WARN_USE, conntrackCheck } from '../../../src/checks/node/conntrack.ts';
import { runChecks } from '../../../src/checks/run-checks.ts';
import { oneNodeContext } from '../../helpers/models.ts';
import { buildHostState } from '../../../src/model/host.ts';
import type { HostEntry } from '../../../src/snapshot/types.ts';
import { fixture } from '../../helpers/fixtures.ts';

const STATS = fixture('conntrack/conntrack-S.txt');
const SYSCTL = fixture('conntrack/sysctl-conntrack.txt');

function run(entry: HostEntry) {
  const h = buildHostState('node-b', entry);
  return runChecks(oneNodeContext(h), [conntrackCheck]);
}

const withCount = (count: number) => SYSCTL.replace(/nf_conntrack_count = \d+/, `nf_conntrack_count = ${count}`);
const raise = (counter: string, cpu0: number, cpu1: number) =>
  STATS.replace(new RegExp(`^(cpu=0.*? )${counter}=0`, 'm'), `$1${counter}=${cpu0}`).replace(
    new RegExp(`^(cpu=1.*? )${counter}=0`, 'm'),
    `$1${counter}=${cpu1}`,
  );

test('the captured namespace: one entry of 262144, every counter 0 → nothing', () => {
  const r = run({ sections: { sysctl: SYSCTL, 'conntrack-stats': STATS }, errors: {} });
  assert.deepEqual(r.findings, []);
  assert.equal(r.outcomes[0]?.status, 'ran');
});

test(`table at ${CONNTRACK_WARN_USE * 100}% → warning, at ${CONNTRACK_ERROR_USE * 100}% → error, just below → nothing`, () => {
  const max = 262144;
  const at = (n: number) => run({ sections: { sysctl: withCount(n), 'conntrack-stats': STATS }, errors: {} }).findings;
  assert.deepEqual(at(Math.ceil(max * CONNTRACK_WARN_USE) - 1), []);
  const warn = at(Math.ceil(max * CONNTRACK_WARN_USE));
  assert.deepEqual(
    warn.map((f) => `${f.id} ${f.severity}`),
    ['conntrack-table-full warning'],
  );
  assert.ok(warn[0]!.evidence.includes('net.netfilter.nf_conntrack_max = 262144'));
  assert.match(warn[0]!.summary, /80% full \(209716 of 262144 entries\)/);
  assert.deepEqual(
    at(max).map((f) => `${f.id} ${f.severity}`),
    ['conntrack-table-full error'],
  );
});

test('early_drop since boot → the table was full, even if it is not now', () => {
  const f = run({ sections: { sysctl: SYSCTL, 'conntrack-stats': raise('early_drop', 0, 12) }, errors: {} }).findings;
  assert.deepEqual(
    f.map((x) => x.id),
    ['conntrack-table-full'],
  );
  assert.match(f[0]!.summary, /was full since boot: 12 entries were evicted/);
  assert.ok(f[0]!.evidence.some((e) => /^conntrack -S: cpu=1 .*early_drop=12/.test(e)));
});

test('insert_failed and drop → conntrack-insert-failed quoting the CPU lines that count', () => {
  const stats = raise('drop', 92, 0).replace(/^(cpu=0.*? )insert_failed=0/m, '$1insert_failed=92');
  const f = run({ sections: { sysctl: SYSCTL, 'conntrack-stats': stats }, errors: {} }).findings;
  assert.deepEqual(
    f.map((x) => `${x.id} ${x.severity}`),
    ['conntrack-insert-failed warning'],
  );
  assert.match(f[0]!.summary, /insert_failed 92, drop 92 \(summed over 2 CPUs/);
  assert.deepEqual(f[0]!.evidence.length, 1);
  assert.match(f[0]!.evidence[0]!, /^conntrack -S: cpu=0 .*insert_failed=92 drop=92/);
});

test('conntrack -S not collected → not judged, a data gap; never "no drops"', () => {
  const r = run({ sections: { sysctl: SYSCTL }, errors: { 'conntrack-stats': 'conntrack: not found' } });
  assert.deepEqual(r.findings, []);
  assert.equal(r.outcomes[0]?.status, 'not-enough-data');
  assert.equal(r.gaps[0]?.kind === 'section' && r.gaps[0].section, 'conntrack-stats');
});

test('a sysctl section without the conntrack keys (an older snapshot) → data-missing, not a verdict on the table', () => {
  const f = run({
    sections: { sysctl: 'net.ipv4.ip_forward = 1\n', 'conntrack-stats': STATS },
    errors: {},
  }).findings;
  assert.deepEqual(
    f.map((x) => x.id),
    ['data-missing'],
  );
  assert.match(f[0]!.summary, /nf_conntrack_count/);
});
