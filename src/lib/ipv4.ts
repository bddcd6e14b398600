// IPv4 addresses as unsigned 32-bit integers. The engine does longest-prefix matches over
// thousands of routes and rules, so addresses are numbers, not strings.

export type Ipv4 = number;

export interface Cidr4 {
  /** Network address (host bits cleared). */
  net: Ipv4;
  len: number;
}

/** Parses dotted-quad; undefined for anything else (including leading zeros, which are octal to some tools). */
export function parseIpv4(s: string): Ipv4 | undefined {
  return ipv4In(s, 0, s.length);
}

/**
 * The dotted quad s[from, to): four octets of 1 to 3 ASCII digits, 0 to 255, no leading zero, by
 * char codes — every route, neighbour and fdb entry of every node goes through here (a split and
 * four regex tests cost seconds on 1,000 nodes; a slice per prefix, a tenth of that).
 */
function ipv4In(s: string, from: number, to: number): Ipv4 | undefined {
  if (to - from < 7 || to - from > 15) return undefined;
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits > 0 && octet === 0)) return undefined;
    octet = octet * 10 + (c - 48);
    if (++digits > 3 || octet > 255) return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (n * 256 + octet) >>> 0;
}

/** "/len" of one or two ASCII digits at s[from, end), as /^\d{1,2}$/ reads it; undefined otherwise. */
function prefixLenIn(s: string, from: number): number | undefined {
  const n = s.length - from;
  if (n < 1 || n > 2) return undefined;
  let len = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    len = len * 10 + (c - 48);
  }
  return len;
}

export function isIpv4(s: string): boolean {
  return parseIpv4(s) !== undefined;
}

export function formatIpv4(n: Ipv4): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Parses "a.b.c.d/len", a bare address (a /32), or "default"/"0.0.0.0/0".
 * Host bits are cleared, as the kernel does for route destinations.
 */
export function parseCidr4(s: string): Cidr4 | undefined {
  if (s === 'default' || s === 'any' || s === 'all') return { net: 0, len: 0 };
  const slash = s.indexOf('/');
  const addr = ipv4In(s, 0, slash < 0 ? s.length : slash);
  if (addr === undefined) return undefined;
  let len = 32;
  if (slash >= 0) {
    const digits = prefixLenIn(s, slash + 1);
    if (digits === undefined) {
      // iptables-save prints a non-contiguous mask as a dotted quad; contiguous ones as /len.
      const m = ipv4In(s, slash + 1, s.length);
      if (m === undefined) return undefined;
      const ones = popcount(m);
      if (maskOf(ones) !== m) return undefined;
      len = ones;
    } else {
      len = digits;
      if (len > 32) return undefined;
    }
  }
  return { net: (addr & maskOf(len)) >>> 0, len };
}

function popcount(n: number): number {
  let c = 0;
  let x = n >>> 0;
  while (x !== 0) {
    c += x & 1;
    x >>>= 1;
  }
  return c;
}

export function formatCidr4(c: Cidr4): string {
  return `${formatIpv4(c.net)}/${c.len}`;
}

export function cidrContains(c: Cidr4, ip: Ipv4): boolean {
  return (ip & maskOf(c.len)) >>> 0 === c.net;
}

/** True when the two prefixes share any address. */
export function cidrOverlaps(a: Cidr4, b: Cidr4): boolean {
  const len = Math.min(a.len, b.len);
  const m = maskOf(len);
  return (a.net & m) >>> 0 === (b.net & m) >>> 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr4, outer: Cidr4): boolean {
  return inner.len >= outer.len && cidrContains(outer, inner.net);
}

/** Convenience for string callers: does CIDR string `c` contain address string `ip`? */
export function inCidr(ip: string, c: string): boolean {
  const a = parseIpv4(ip);
  const p = parseCidr4(c);
  return a !== undefined && p !== undefined && cidrContains(p, a);
}

/**
 * Longest-prefix lookup over many prefixes: by length (longest first), each length by network, so
 * a lookup costs one map probe per distinct length. The first value added for a prefix is kept.
 */
export class PrefixIndex<T> {
  private byLen: [len: number, byNet: Map<number, T>][] = [];

  add(c: Cidr4, value: T): void {
    let entry = this.byLen.find(([len]) => len === c.len);
    if (entry === undefined) {
      entry = [c.len, new Map()];
      this.byLen.push(entry);
      this.byLen.sort((a, b) => b[0] - a[0]);
    }
    if (!entry[1].has(c.net)) entry[1].set(c.net, value);
  }

  /** The value of the longest prefix of at most `maxLen` bits that contains `ip`. */
  longest(ip: Ipv4, maxLen = 32): T | undefined {
    for (const [len, byNet] of this.byLen) {
      if (len > maxLen) continue;
      const v = byNet.get((ip & maskOf(len)) >>> 0);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}
