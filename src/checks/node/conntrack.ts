// The connection tracking table: how full it is (nf_conntrack_count against nf_conntrack_max),
// and the counters that show packets it dropped since boot (`conntrack -S`). When the table is
// full, __nf_conntrack_alloc first evicts an unassured entry (early_drop) and otherwise drops the
// packet ("nf_conntrack: table full, dropping packet"); a new entry that loses the race to be
// confirmed against a clashing one (two UDP packets of one socket, as glibc's parallel A and
// AAAA queries, DNATed to different DNS endpoints) is dropped in __nf_conntrack_confirm and
// counted as insert_failed (and drop): the resolver's 5-second timeout (nf_conntrack_core.c).
import type { ConntrackStats, HostState } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

/** Table use at or above this share of nf_conntrack_max is a warning (room to act before drops)... */
export const CONNTRACK_WARN_USE = 0.8;
/** ...and at or above this one an error: eviction and drops are imminent or under way. */
export const CONNTRACK_ERROR_USE = 0.95;

const COUNT = 'net.netfilter.nf_conntrack_count';
const MAX = 'net.netfilter.nf_conntrack_max';

/** The CPU lines whose `names` counters are not zero, as printed. */
function nonZeroLines(s: ConntrackStats, names: readonly string[]): string[] {
  return s.cpus.filter((c) => names.some((n) => (c.counters.get(n) ?? 0) > 0)).map((c) => `conntrack -S: ${c.raw}`);
}

function total(s: ConntrackStats, name: string): number {
  return s.totals.get(name) ?? 0;
}

function tableUse(h: HostState, stats: ConntrackStats): Finding[] {
  const count = Number(h.sysctls.get(COUNT));
  const max = Number(h.sysctls.get(MAX));
  if (!h.sysctls.has(COUNT) || !h.sysctls.has(MAX) || !Number.isFinite(count) || !(max > 0)) {
    return [
      finding('data-missing', {
        node: h.name,
        summary: `${h.name}: the sysctl section has no ${COUNT} / ${MAX} (a snapshot from before netcheck collected them, or sysctl could not read them), so how full its conntrack table is was not judged`,
        evidence: [`sysctl: ${COUNT} ${h.sysctls.get(COUNT) ?? 'absent'}, ${MAX} ${h.sysctls.get(MAX) ?? 'absent'}`],
        fix: `Collect again with this version (sysctl ${COUNT} ${MAX} on ${h.name}).`,
      }),
    ];
  }
  const use = count / max;
  const evicted = total(stats, 'early_drop');
  if (use < CONNTRACK_WARN_USE && evicted === 0) return [];
  const pct = `${Math.round(use * 1000) / 10}%`;
  return [
    finding('conntrack-table-full', {
      severity: use >= CONNTRACK_ERROR_USE ? 'error' : 'warning',
      node: h.name,
      summary:
        use >= CONNTRACK_WARN_USE
          ? `${h.name}'s conntrack table is ${pct} full (${count} of ${max} entries)${evicted > 0 ? `, and ${evicted} entries were evicted from a full table since boot` : ''}: new connections are dropped when it is full`
          : `${h.name}'s conntrack table was full since boot: ${evicted} entries were evicted to make room (early_drop); it is ${pct} full now (${count} of ${max})`,
      evidence: [`${COUNT} = ${count}`, `${MAX} = ${max}`, ...nonZeroLines(stats, ['early_drop'])],
      fix: `Raise the limit (sysctl -w ${MAX}=${max * 2} on ${h.name}, or kube-proxy's conntrack.maxPerCore / min, which set it at start), and find what opens so many connections (conntrack -L | awk '{print $5}' | sort | uniq -c | sort -n).`,
    }),
  ];
}

function insertFailed(h: HostState, stats: ConntrackStats): Finding[] {
  const failed = total(stats, 'insert_failed');
  const dropped = total(stats, 'drop');
  if (failed === 0 && dropped === 0) return [];
  return [
    finding('conntrack-insert-failed', {
      node: h.name,
      summary: `${h.name}'s conntrack dropped packets since boot: insert_failed ${failed}, drop ${dropped} (summed over ${stats.cpus.length} CPUs; the counters do not say when)`,
      evidence: nonZeroLines(stats, ['insert_failed', 'drop']),
    }),
  ];
}

export const conntrackCheck: NodeScopeCheck = {
  name: 'conntrack',
  describe: `conntrack table below ${CONNTRACK_WARN_USE * 100}% of nf_conntrack_max, no evictions, no insert_failed or drop counts`,
  scope: 'node',
  emits: ['conntrack-table-full', 'conntrack-insert-failed', 'data-missing'],
  onPath: true,
  needs: fixedNeeds(['sysctl', 'conntrack-stats']),
  node(_ctx, h) {
    const stats = h.conntrackStats;
    if (stats === undefined) return [];
    return [...tableUse(h, stats), ...insertFailed(h, stats)];
  },
};
