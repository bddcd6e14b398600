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

/**
 * /proc/net/stat/nf_conntrack (net/netfilter/nf_conntrack_standalone.c ct_cpu_seq_show): a header
 * of counter names, then one row of hex values per possible CPU; the probe reads it when the
 * image has no conntrack(8). Names follow conntrack -S where the two differ.
 */
const PROC_NAMES: Readonly<Record<string, string>> = { clashres: 'clash_resolve', chainlength: 'chaintoolong' };

function parseProcTable(text: string): Parsed<ConntrackStats> {
  const w = new Warnings();
  const out: ConntrackStats = { cpus: [], totals: new Map() };
  const lines = text.split('\n');
  const names = lines[0]!.trim().split(/\s+/);
  lines.slice(1).forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '') return;
    const values = line.split(/\s+/);
    if (values.length !== names.length || values.some((v) => !/^[0-9a-f]{1,16}$/.test(v))) {
      w.add(`${SECTION} line ${i + 2}: not ${names.length} hex counters: ${quote(line)}`);
      return;
    }
    const counters = new Map<string, number>();
    // "entries" is the table's size, repeated on every row: not a per-CPU counter.
    names.forEach((n, j) => n !== 'entries' && counters.set(PROC_NAMES[n] ?? n, Number.parseInt(values[j]!, 16)));
    out.cpus.push({ cpu: out.cpus.length, counters, raw: rawLine.trimEnd() });
    for (const [k, v] of counters) out.totals.set(k, (out.totals.get(k) ?? 0) + v);
  });
  warnCutShort(text, w);
  return { value: out, warnings: w.done() };
}

/** Both formats end every line with \n: a last line without one was cut short, maybe mid-number. */
function warnCutShort(text: string, w: Warnings): void {
  const last = text.slice(text.lastIndexOf('\n') + 1);
  if (last.trim() !== '')
    w.add(`${SECTION}: the last line has no line end; its counters may be cut short: ${quote(last)}`);
}

export function parseConntrackStats(text: string): Parsed<ConntrackStats> {
  if (text.startsWith('entries')) return parseProcTable(text);
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
  warnCutShort(text, w);
  return { value: out, warnings: w.done() };
}
