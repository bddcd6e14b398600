// -m recent (net/netfilter/xt_recent.c recent_mt): a named list of addresses (the source, or with
// --rdest the destination, ANDed with --mask), each with the times it was seen.
//   --set     adds the address (or adds a time to it) and matches.
//   --rcheck  matches when the address is listed (seen within --seconds, at least --hitcount times).
//   --update  as --rcheck, and adds a time when it matches.
//   --remove  matches when the address is listed, and removes it.
// "!" before the command inverts the result, never the side effect. --reap only prunes old times.
//
// The lists are kernel state: the probe reads them (/proc/net/xt_recent, section xt-recent) with
// the jiffies counter their time stamps count in. For the first packet of a new connection the
// engine decides from them as they were at collection (kube-proxy's sessionAffinity: a listed
// client goes back to its endpoint). --seconds compares jiffies with seconds * HZ, and CONFIG_HZ
// is not collected: an age that is inside (or outside) the window for every HZ Kconfig offers
// decides, one in between is unknown. Where the lists were not collected, they are taken as
// empty (what a client that has not talked to this Service before meets) and the branch says so.
// What this connection's own packets added is known (ConntrackView.recent). Any later packet of
// the connection may find its own earlier entries: unknown.
import type { IptMatch, IptOption, XtRecentState } from '../../../model/types.ts';
import type { CompiledMatch, MatchCtx, MatchResult } from '../compiled.ts';
import { arg, badOption } from '../options.ts';
import { formatIpv4, parseIpv4 } from '../../../lib/ipv4.ts';

type Command = 'set' | 'rcheck' | 'update' | 'remove';

interface RecentSpec {
  command: Command;
  invert: boolean;
  name: string;
  mask: number;
  dest: boolean;
  /** --seconds: 0 when absent. */
  seconds: number;
  /** --hitcount: 0 when absent. */
  hitcount: number;
  rttl: boolean;
}

/** Key of one address in one list, for ConntrackView.recent. */
export function recentKey(list: string, addr: number): string {
  return `${list}\u0000${addr >>> 0}`;
}

const COMMANDS: ReadonlySet<string> = new Set(['set', 'rcheck', 'update', 'remove']);

function parse(m: IptMatch): RecentSpec | CompiledMatch {
  const spec: RecentSpec = {
    command: 'rcheck',
    invert: false,
    name: 'DEFAULT', // libxt_recent.c: the list used when no --name is given
    mask: 0xffffffff,
    dest: false,
    seconds: 0,
    hitcount: 0,
    rttl: false,
  };
  let commands = 0;
  const number = (o: IptOption): number | undefined => {
    const a = arg(o);
    return a !== undefined && /^\d{1,10}$/.test(a) ? Number(a) : undefined;
  };
  for (const o of m.options) {
    if (COMMANDS.has(o.name)) {
      spec.command = o.name as Command;
      spec.invert = o.negated;
      commands++;
      continue;
    }
    if (o.negated) return badOption('recent', o);
    switch (o.name) {
      case 'name': {
        const a = arg(o);
        if (a === undefined) return badOption('recent', o);
        spec.name = a;
        break;
      }
      case 'mask': {
        const mask = parseIpv4(arg(o) ?? '');
        if (mask === undefined) return badOption('recent', o);
        spec.mask = mask;
        break;
      }
      case 'rsource':
        spec.dest = false;
        break;
      case 'rdest':
        spec.dest = true;
        break;
      case 'seconds':
      case 'hitcount': {
        const n = number(o);
        if (n === undefined) return badOption('recent', o);
        if (o.name === 'seconds') spec.seconds = n;
        else spec.hitcount = n;
        break;
      }
      case 'reap':
        break;
      case 'rttl':
        spec.rttl = true;
        break;
      default:
        return badOption('recent', o);
    }
  }
  // libxt_recent.c recent_check(): exactly one command.
  if (commands !== 1) return { kind: 'unknown', reason: '-m recent: expected one of --set/--rcheck/--update/--remove' };
  return spec;
}

/** kernel/Kconfig.hz: CONFIG_HZ is 100, 250, 300 or 1000; the snapshot does not say which. */
const HZ_MIN = 100;
const HZ_MAX = 1000;

function listed(s: RecentSpec, c: MatchCtx, key: string, addr: string): MatchResult {
  const own = c.ct.recent?.get(key);
  if (own !== undefined) {
    // Added by this connection a moment ago: within any --seconds; --rttl compares TTLs, not modelled.
    if (s.rttl) return { unknown: `-m recent --rttl: list ${s.name} holds ${addr}, and the TTL is not modelled` };
    const collected = c.env.recent === undefined ? 0 : collectedHits(s, c.env.recent, addr);
    if (typeof collected !== 'number' && s.hitcount > own) return collected;
    return s.hitcount === 0 || own + (typeof collected === 'number' ? collected : 0) >= s.hitcount;
  }
  if (c.ct.state !== 'NEW' || c.ct.direction !== 'ORIGINAL') {
    return {
      unknown: `-m recent --${s.command} --name ${s.name}: earlier packets of this connection may have added ${addr}`,
    };
  }
  const kernel = c.env.recent;
  if (kernel === undefined) {
    c.assume(`xt_recent list ${s.name}: ${addr} taken as not listed (a new client; the lists were not collected)`);
    return false;
  }
  const hits = collectedHits(s, kernel, addr);
  if (typeof hits !== 'number') return hits;
  const match = hits >= Math.max(s.hitcount, 1);
  c.assume(
    hits === 0
      ? `xt_recent list ${s.name}: ${addr} not listed at collection`
      : `xt_recent list ${s.name}: ${addr} listed at collection (${hits} time stamp${hits === 1 ? '' : 's'} counted)`,
  );
  return match;
}

/**
 * The time stamps of `addr` in the collected list that the rule counts (xt_recent.c recent_mt:
 * all of them, or with --seconds those not older than seconds * HZ), or unknown when the age of
 * one of them decides and the kernel's HZ or clock is not known.
 */
function collectedHits(s: RecentSpec, kernel: XtRecentState, addr: string): number | { unknown: string } {
  const entry = kernel.lists.get(s.name)?.find((e) => e.addr === addr);
  if (entry === undefined) return 0;
  if (s.rttl) return { unknown: `-m recent --rttl: list ${s.name} holds ${addr}, and the TTL is not modelled` };
  if (s.seconds === 0) return entry.stamps.length;
  const now = kernel.jiffies;
  let sure = 0;
  let maybe = 0;
  for (const t of entry.stamps) {
    const age = now === undefined ? undefined : now - t;
    if (age !== undefined && age <= s.seconds * HZ_MIN) sure++;
    else if (age === undefined || age <= s.seconds * HZ_MAX) maybe++;
  }
  const need = Math.max(s.hitcount, 1);
  if (sure >= need || sure + maybe < need) return sure;
  const newest = Math.max(...entry.stamps);
  return {
    unknown:
      now === undefined
        ? `-m recent --seconds ${s.seconds} --name ${s.name}: ${addr} is listed, and the kernel's jiffies counter was not collected (/proc/timer_list unreadable), so its age is not known`
        : `-m recent --seconds ${s.seconds} --name ${s.name}: ${addr} was last seen ${now - newest} jiffies before collection, inside ${s.seconds} s only if the kernel's HZ is at least ${Math.ceil((now - newest) / s.seconds)} (CONFIG_HZ is not collected)`,
  };
}

function withCount(c: MatchCtx, key: string, count: number | undefined): void {
  const next = new Map(c.ct.recent ?? []);
  if (count === undefined) next.delete(key);
  else next.set(key, count);
  c.ct = { ...c.ct, recent: next };
}

export function compileRecent(m: IptMatch): CompiledMatch[] {
  const s = parse(m);
  if (!('command' in s)) return [s];
  const pred = (c: MatchCtx): MatchResult => {
    const a = ((s.dest ? c.packet.dst : c.packet.src) & s.mask) >>> 0;
    const key = recentKey(s.name, a);
    if (s.command === 'set') {
      withCount(c, key, (c.ct.recent?.get(key) ?? 0) + 1);
      return !s.invert;
    }
    const r = listed(s, c, key, formatIpv4(a));
    if (r !== true) return r === false ? s.invert : r;
    if (s.command === 'remove') withCount(c, key, undefined);
    else if (s.command === 'update') withCount(c, key, (c.ct.recent?.get(key) ?? 0) + 1);
    return !s.invert;
  };
  return [{ kind: 'pred', pred, effect: s.command !== 'rcheck' }];
}
