// Parses `conntrack -S` (section "conntrack-stats"): one line per CPU of the kernel's per-netns
// conntrack statistics (conntrack-tools src/conntrack.c prints "cpu=%-4u\t" then "name=value "
// for each CTA_STATS_* attribute the kernel sends; nf_conntrack_netlink.c
// ctnetlink_ct_stat_cpu_fill_info). The counters are since boot (or since the namespace was
// made) and summed over CPUs here. Older conntrack-tools print the same keys with a few more
// (searched, new, delete); every name=value pair is kept.
import type { ConntrackStats, Parsed } from '../types.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'conntrack-stats';
const CPU = /^cpu=(\d{1,5})\s+(.*)$/;
const PAIR = /^([a-z_]{1,64})=(\d{1,20})$/;

export function parseConntrackStats(text: string): Parsed<ConntrackStats> {
  const w = new Warnings();
  const out: ConntrackStats = { cpus: [], totals: new Map() };
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '') return;
    const m = CPU.exec(line);
    if (m === null) {
      w.add(`${SECTION} line ${i + 1}: not a "cpu=N name=value ..." line: ${quote(line)}`);
      return;
    }
    const counters = new Map<string, number>();
    for (const part of m[2]!.split(/\s+/)) {
      const p = PAIR.exec(part);
      if (p === null) {
        w.add(`${SECTION} line ${i + 1}: not a name=value counter: ${quote(part)}`);
        continue;
      }
      counters.set(p[1]!, Number(p[2]));
    }
    out.cpus.push({ cpu: Number(m[1]), counters, raw: rawLine.trimEnd() });
    for (const [k, v] of counters) out.totals.set(k, (out.totals.get(k) ?? 0) + v);
  });
  // conntrack ends every line with \n: a last line without one was cut short, maybe mid-number.
  const last = text.slice(text.lastIndexOf('\n') + 1);
  if (last.trim() !== '')
    w.add(`${SECTION}: the last line has no line end; its counters may be cut short: ${quote(last)}`);
  return { value: out, warnings: w.done() };
}
