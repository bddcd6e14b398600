// -m conntrack (net/netfilter/xt_conntrack.c conntrack_mt) and -m state (xt_state.c).
import type { IptMatch, IptOption } from '../../../model/types.ts';
import type { ConntrackView, CtState } from '../types.ts';
import type { CompiledMatch, MatchCtx, MatchResult } from '../compiled.ts';
import { arg, badOption, commaList, parseAddrMask, parsePortRange } from '../options.ts';
import { PROTO_NUMBER, protocolNumber } from './core.ts';

const STATE_NAMES: ReadonlySet<string> = new Set([
  'INVALID',
  'ESTABLISHED',
  'NEW',
  'RELATED',
  'UNTRACKED',
  'SNAT',
  'DNAT',
]);

/** The state bits the kernel computes for this packet (XT_CONNTRACK_STATE_BIT(ctinfo) + SNAT/DNAT). */
function stateBits(ct: ConntrackView): Set<string> {
  const s = new Set<string>([ct.state]);
  if (hasEntry(ct)) {
    if (ct.snat) s.add('SNAT');
    if (ct.dnat) s.add('DNAT');
  }
  return s;
}

/** Untracked and invalid packets have no conntrack entry (nf_ct_get() returns NULL). */
function hasEntry(ct: ConntrackView): boolean {
  return ct.state !== 'UNTRACKED' && ct.state !== 'INVALID';
}

type Check = (c: MatchCtx) => MatchResult;

function statusCheck(o: IptOption): Check | undefined {
  const names = commaList(arg(o)).map((s) => s.toUpperCase());
  if (names.length === 0) return undefined;
  const known = new Set(['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED']);
  if (names.some((n) => !known.has(n))) return undefined;
  return (c) => {
    // conntrack_mt tests (status_mask & ct->status) != 0. libxt_conntrack.c adds no bit for
    // NONE, so NONE alone never matches. Bits we know from the engine's connection: SEEN_REPLY
    // (set by conntrack at -200 on the first reply, so every ESTABLISHED packet has it) and
    // CONFIRMED (set when the first packet leaves the host); NEW and RELATED packets have neither.
    // ASSURED and EXPECTED are not modelled.
    let any = false;
    for (const n of names) {
      if (n === 'ASSURED' || n === 'EXPECTED') return { unknown: `--ctstatus ${n} is not modelled` };
      if (n !== 'NONE') any ||= c.ct.state === 'ESTABLISHED';
    }
    return any;
  };
}

function compileConntrack(m: IptMatch): CompiledMatch[] {
  let stateCheck: ((c: MatchCtx) => boolean) | undefined;
  const others: Check[] = [];
  const out: CompiledMatch[] = [];
  for (const o of m.options) {
    const neg = o.negated;
    const a = arg(o);
    switch (o.name) {
      case 'ctstate': {
        const names = commaList(a).map((s) => s.toUpperCase());
        if (names.length === 0 || names.some((n) => !STATE_NAMES.has(n))) {
          out.push(badOption('conntrack', o));
          break;
        }
        stateCheck = (c) => names.some((n) => stateBits(c.ct).has(n)) !== neg;
        break;
      }
      case 'ctdir': {
        const dir = a?.toUpperCase();
        if (dir !== 'ORIGINAL' && dir !== 'REPLY') out.push(badOption('conntrack', o));
        else others.push((c) => (c.ct.direction === dir) !== neg);
        break;
      }
      case 'ctorigsrc':
      case 'ctorigdst': {
        const am = parseAddrMask(a);
        if (am === undefined) {
          out.push(badOption('conntrack', o));
          break;
        }
        const src = o.name === 'ctorigsrc';
        others.push((c) => (((src ? c.ct.origSrc : c.ct.origDst) & am.mask) >>> 0 === am.net) !== neg);
        break;
      }
      case 'ctorigdstport': {
        const r = parsePortRange(a);
        if (r === undefined) out.push(badOption('conntrack', o));
        else others.push((c) => (c.ct.origDport >= r[0] && c.ct.origDport <= r[1]) !== neg);
        break;
      }
      case 'ctproto': {
        const num = a === undefined ? undefined : protocolNumber(a);
        if (num === undefined) out.push(badOption('conntrack', o));
        else others.push((c) => (num === 0 || PROTO_NUMBER[c.packet.proto] === num) !== neg);
        break;
      }
      case 'ctstatus': {
        const check = statusCheck(o);
        if (check === undefined) out.push(badOption('conntrack', o));
        else
          others.push((c) => {
            const r = check(c);
            return typeof r === 'boolean' ? r !== neg : r;
          });
        break;
      }
      default:
        // ctreplsrc/ctrepldst/ctorigsrcport/ctexpire...: the reply tuple and timers are not modelled.
        out.push(badOption('conntrack', o));
    }
  }
  const checkState = stateCheck;
  out.push({
    kind: 'pred',
    pred: (c): MatchResult => {
      if (checkState !== undefined && !checkState(c)) return false;
      // conntrack_mt: without an entry only --ctstate can be decided; the kernel then returns
      // "was --ctstate given", skipping every other option.
      if (!hasEntry(c.ct)) return checkState !== undefined;
      for (const check of others) {
        const r = check(c);
        if (r !== true) return r;
      }
      return true;
    },
  });
  return out;
}

function compileState(m: IptMatch): CompiledMatch[] {
  return m.options.map((o): CompiledMatch => {
    const names = commaList(arg(o)).map((s) => s.toUpperCase());
    if (
      o.name !== 'state' ||
      names.length === 0 ||
      names.some((n) => !STATE_NAMES.has(n) || n === 'SNAT' || n === 'DNAT')
    )
      return badOption('state', o);
    const set = new Set<CtState | string>(names);
    // libxt_state.c turns "!" into the complement mask; xt_state.c tests statemask & statebit.
    const neg = o.negated;
    return { kind: 'pred', pred: (c) => set.has(c.ct.state) !== neg };
  });
}

export function compileCtMatch(m: IptMatch): CompiledMatch[] {
  return m.module === 'state' ? compileState(m) : compileConntrack(m);
}
