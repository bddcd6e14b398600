// Parsing the argument strings of iptables-save options into numbers once, at compile time.
import { maskOf, parseIpv4 } from '../../lib/ipv4.ts';
import type { IptOption } from '../../model/types.ts';
import type { CompiledMatch, MatchResult } from './compiled.ts';

const U32 = /^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/;

/** Decimal or 0x-hex unsigned 32-bit number, as iptables prints marks and masks. */
export function parseU32(s: string | undefined): number | undefined {
  if (s === undefined || !U32.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n >>> 0 : undefined;
}

/** "VALUE[/MASK]" with MASK defaulting to all ones (libxt_mark.c, libxt_MARK.c). */
export function parseValueMask(s: string | undefined): { value: number; mask: number } | undefined {
  if (s === undefined) return undefined;
  const slash = s.indexOf('/');
  const value = parseU32(slash < 0 ? s : s.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseU32(s.slice(slash + 1));
  return value === undefined || mask === undefined ? undefined : { value, mask };
}

/** "PORT", "A:B", ":B", "A:" (libxtables xtables_parse_port / tcp_save prints numbers). */
export function parsePortRange(s: string | undefined): [number, number] | undefined {
  if (s === undefined) return undefined;
  const colon = s.indexOf(':');
  const lo = colon < 0 ? s : s.slice(0, colon);
  const hi = colon < 0 ? s : s.slice(colon + 1);
  const a = lo === '' ? 0 : parsePort(lo);
  const b = hi === '' ? 65535 : parsePort(hi);
  return a === undefined || b === undefined || a > b ? undefined : [a, b];
}

function parsePort(s: string): number | undefined {
  if (!/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/**
 * "ADDR", "ADDR/LEN" or "ADDR/DOTTED-MASK". The mask may be non-contiguous (iptables-save prints
 * such a mask dotted); the kernel tests (addr & mask) == net (ip_tables.c ip_packet_match).
 */
export function parseAddrMask(s: string | undefined): { net: number; mask: number } | undefined {
  if (s === undefined) return undefined;
  const slash = s.indexOf('/');
  const addr = parseIpv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = s.slice(slash + 1);
    if (/^\d{1,2}$/.test(m) && Number(m) <= 32) mask = maskOf(Number(m));
    else {
      const dotted = parseIpv4(m);
      if (dotted === undefined) return undefined;
      mask = dotted;
    }
  }
  return { net: (addr & mask) >>> 0, mask };
}

/**
 * Interface name test as ip_tables.c does it with the mask iptables builds: a trailing "+" makes
 * the name a prefix ("cali+" matches "cali" and "cali123", "+" matches everything, even "");
 * otherwise the whole name must be equal. `iface` is '' when the hook has no such device.
 */
export function ifaceTest(pattern: string): (iface: string) => boolean {
  if (pattern.endsWith('+')) {
    const prefix = pattern.slice(0, -1);
    return (iface) => iface.startsWith(prefix);
  }
  return (iface) => iface === pattern;
}

/** Applies an option's "!" to a result (an unknown stays unknown). */
export function applyNegation(r: MatchResult, negated: boolean): MatchResult {
  return typeof r === 'boolean' ? r !== negated : r;
}

/** The one argument of an option, or undefined. */
export function arg(o: IptOption): string | undefined {
  return o.args.length === 1 ? o.args[0] : undefined;
}

export function badOption(module: string, o: IptOption): CompiledMatch {
  const dashes = o.name.length === 1 ? '-' : '--';
  return {
    kind: 'unknown',
    reason:
      `-m ${module}: option ${o.negated ? '! ' : ''}${dashes}${o.name} ${o.args.join(' ')} not understood`.trimEnd(),
  };
}

/** Splits "A,B,C" lists (multiport, addrtype, ctstate...). */
export function commaList(s: string | undefined): string[] {
  return s === undefined || s === '' ? [] : s.split(',');
}
