// Parses the probe's "xt-recent" section: the jiffies counter, then each list of
// /proc/net/xt_recent with its entries as the kernel prints them (xt_recent.c recent_seq_show):
//   jiffies: 4299296454                  (first "jiffies:" line of /proc/timer_list, if readable)
//   list portscan
//   src=203.0.113.7 ttl: 64 last_seen: 4299296424 oldest_pkt: 2 4299296424, 4299296424
// IPv6 entries ("src=2001:db8::1 ...", %pI6c) are skipped: the engine walks IPv4.
import { parseIpv4 } from '../../lib/ipv4.ts';
import type { Parsed, XtRecentEntry, XtRecentState } from '../types.ts';
import { forEachLine } from './lines.ts';
import { excerpt, Warnings } from './warnings.ts';

const ENTRY = /^src=(\S+) ttl: (\d+) last_seen: (\d+) oldest_pkt: (\d+) (.*)$/;

export function parseXtRecent(text: string): Parsed<XtRecentState> {
  const warnings = new Warnings();
  const state: XtRecentState = { lists: new Map() };
  let list: XtRecentEntry[] | undefined;
  forEachLine(text, (line, lineNo) => {
    const warn = (msg: string): void => warnings.atLine(lineNo, msg);
    if (line.trim() === '') return;
    const j = /^jiffies: (\d+)$/.exec(line);
    if (j !== null) {
      state.jiffies = Number(j[1]);
      return;
    }
    if (line.startsWith('list ')) {
      list = [];
      state.lists.set(line.slice(5), list);
      return;
    }
    const m = ENTRY.exec(line);
    if (m === null || list === undefined) return warn(`not an xt_recent line: ${excerpt(line)}`);
    if (parseIpv4(m[1]!) === undefined) {
      if (!m[1]!.includes(':')) warn(`bad address ${excerpt(m[1]!)}`);
      return;
    }
    const stamps = m[5]!.split(',').map((x) => x.trim());
    if (!stamps.every((x) => /^\d+$/.test(x))) return warn(`bad time stamps ${excerpt(m[5]!)}`);
    list.push({ addr: m[1]!, ttl: Number(m[2]), stamps: stamps.map(Number) });
  });
  return { value: state, warnings: warnings.done() };
}
