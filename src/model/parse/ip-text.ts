// Address and prefix text as iproute2 prints it: "default", a bare address (a host route), or
// "address/len". IPv4 goes through src/lib/ipv4.ts; IPv6 is only checked and kept as text, since
// the engine models IPv4 paths.
import { isIPv6 } from 'node:net';
import { formatCidr4, isIpv4, parseCidr4 } from '../../lib/ipv4.ts';
import type { Family } from '../types.ts';

export function familyOf(addr: string): Family | undefined {
  if (isIpv4(addr)) return 'inet';
  if (isIPv6(addr)) return 'inet6';
  return undefined;
}

/** The family of "addr" or "addr/len"; undefined for "default" and for anything unreadable. */
export function familyOfPrefix(p: string): Family | undefined {
  const slash = p.indexOf('/');
  return familyOf(slash < 0 ? p : p.slice(0, slash));
}

/**
 * Normalises a destination to CIDR form: "default" → 0.0.0.0/0 or ::/0 (by `family`), a bare
 * address → /32 or /128. Undefined when the text is not an address of that family.
 */
export function toCidr(text: string, family: Family): string | undefined {
  if (text === 'default' || text === 'all') return family === 'inet' ? '0.0.0.0/0' : '::/0';
  if (family === 'inet') {
    const c = parseCidr4(text);
    return c === undefined ? undefined : formatCidr4(c);
  }
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const len = slash < 0 ? 128 : Number(text.slice(slash + 1));
  if (!isIPv6(addr) || !/^\d{1,3}$/.test(slash < 0 ? '128' : text.slice(slash + 1)) || len > 128) return undefined;
  return `${addr.toLowerCase()}/${len}`;
}

/** Joins an address and a prefix length the way `ip rule` splits them ("src" + "srclen"). */
export function joinPrefix(addr: string, len: number | undefined, family: Family): string | undefined {
  return toCidr(len === undefined ? addr : `${addr}/${len}`, family);
}
