// -m recent (net/netfilter/xt_recent.c recent_mt): a named list of addresses (the source, or with
// --rdest the destination, ANDed with --mask), each with the times it was seen.
//   --set     adds the address (or adds a time to it) and matches.
//   --rcheck  matches when the address is listed (seen within --seconds, at least --hitcount times).
//   --update  as --rcheck, and adds a time when it matches.
//   --remove  matches when the address is listed, and removes it.
// "!" before the command inverts the result, never the side effect. --reap only prunes old times.
//
// The lists are kernel state a snapshot does not hold. For the first packet of a new connection
// the engine takes them as empty (what a client that has not talked to this Service before
// meets: kube-proxy's sessionAffinity then picks an endpoint as without affinity), and says so
// in the outcome's branch. What this connection's own packets added is known (ConntrackView.recent).
// Any later packet of the connection may find its own earlier entries: unknown.
import type { IptMatch, IptOption } from '../../../model/types.ts';
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

function listed(s: RecentSpec, c: MatchCtx, key: string, addr: string): MatchResult {
  const seen = c.ct.recent?.get(key);
  if (seen !== undefined) {
    // Added by this connection a moment ago: within any --seconds; --rttl compares TTLs, not modelled.
    if (s.rttl) return { unknown: `-m recent --rttl: list ${s.name} holds ${addr}, and the TTL is not modelled` };
    return s.hitcount === 0 || seen >= s.hitcount;
  }
  if (c.ct.state !== 'NEW' || c.ct.direction !== 'ORIGINAL') {
    return {
      unknown: `-m recent --${s.command} --name ${s.name}: earlier packets of this connection may have added ${addr}`,
    };
  }
  c.assume(`xt_recent list ${s.name}: ${addr} taken as not listed (a new client; the lists are not in the snapshot)`);
  return false;
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
