// Values native nftables expressions yield, and the literals of `nft -j` turned into them.
// Names are those of nftables' datatype tables (src/datatype.c, src/ct.c, src/fib.c,
// src/meta.c): `nft -j` prints symbolic constants by these names.
import { parseIpv4 } from '../../../lib/ipv4.ts';

/**
 * What an expression yields for the packet: a number (address, port, protocol, mark, flag bits),
 * a name (interface, fib address type), the parts of a concatenation, ABSENT when the header the
 * expression reads is not there (the rule then does not match: nft's implicit protocol
 * dependency), or OPAQUE when the bytes exist but the model does not carry them.
 */
export type Value = number | string | typeof ABSENT | typeof OPAQUE | Value[];
export const ABSENT: unique symbol = Symbol('absent');
export const OPAQUE: unique symbol = Symbol('opaque');

/** How a literal on the right of a match is read, given what the left side reads. */
export type Kind =
  | 'ipv4'
  | 'int'
  | 'proto'
  | 'ifname'
  | 'ctstate'
  | 'ctstatus'
  | 'ctdir'
  | 'fibtype'
  | 'fiboif'
  | 'icmptype'
  | 'nfproto'
  | 'pkttype';

/** Kinds whose values are flag bits: `ct state established,related` matches any of them. */
export const FLAG_KINDS: ReadonlySet<Kind> = new Set(['ctstate', 'ctstatus']);

const PROTOS: ReadonlyMap<string, number> = new Map([
  ['icmp', 1],
  ['igmp', 2],
  ['ipencap', 4],
  ['ipip', 4],
  ['tcp', 6],
  ['udp', 17],
  ['gre', 47],
  ['esp', 50],
  ['ah', 51],
  ['icmpv6', 58],
  ['ipv6-icmp', 58],
  ['sctp', 132],
  ['udplite', 136],
]);

// include/uapi/linux/netfilter/nf_conntrack_common.h via nft's ct_state_tbl: NF_CT_STATE_BIT(x).
const CT_STATES: ReadonlyMap<string, number> = new Map([
  ['invalid', 1],
  ['established', 2],
  ['related', 4],
  ['new', 8],
  ['untracked', 64],
]);

// enum ip_conntrack_status bits (nft's ct_status_tbl).
const CT_STATUS: ReadonlyMap<string, number> = new Map([
  ['expected', 1],
  ['seen-reply', 2],
  ['assured', 4],
  ['confirmed', 8],
  ['snat', 16],
  ['dnat', 32],
  ['dying', 512],
]);

const ICMP_TYPES: ReadonlyMap<string, number> = new Map([
  ['echo-reply', 0],
  ['destination-unreachable', 3],
  ['source-quench', 4],
  ['redirect', 5],
  ['echo-request', 8],
  ['router-advertisement', 9],
  ['router-solicitation', 10],
  ['time-exceeded', 11],
  ['parameter-problem', 12],
  ['timestamp-request', 13],
  ['timestamp-reply', 14],
]);

const SMALL: Readonly<Record<string, ReadonlyMap<string, number>>> = {
  ctdir: new Map([
    ['original', 0],
    ['reply', 1],
  ]),
  nfproto: new Map([
    ['ipv4', 2],
    ['ipv6', 10],
  ]),
  pkttype: new Map([
    ['host', 0],
    ['unicast', 0],
    ['broadcast', 1],
    ['multicast', 2],
    ['other', 3],
  ]),
};

export const PROTO_NUMBER: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmp: 1, ipip: 4 };

function named(table: ReadonlyMap<string, number>, v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  return table.get(v) ?? (/^\d+$/.test(v) ? Number(v) : undefined);
}

function flags(table: ReadonlyMap<string, number>, v: unknown): number | undefined {
  const list = Array.isArray(v) ? v : [v];
  let bits = 0;
  for (const x of list) {
    const b = named(table, x);
    if (b === undefined) return undefined;
    bits |= b;
  }
  return bits;
}

/** A literal of `kind` as `nft -j` prints it; undefined when it cannot be read. */
export function literal(kind: Kind, v: unknown): number | string | undefined {
  switch (kind) {
    case 'ipv4':
      return typeof v === 'string' ? parseIpv4(v) : undefined;
    case 'int':
      if (typeof v === 'number') return v >>> 0;
      return typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) >>> 0 : undefined;
    case 'proto':
      return named(PROTOS, v);
    case 'ifname':
    case 'fibtype':
      return typeof v === 'string' ? v : undefined;
    case 'fiboif':
      // `fib ... oif missing` prints as 0 (or "0"); a name is the device nft resolved at load time.
      if (v === 0 || v === '0' || v === false || v === 'missing') return '';
      return typeof v === 'string' ? v : undefined;
    case 'ctstate':
      return flags(CT_STATES, v);
    case 'ctstatus':
      return flags(CT_STATUS, v);
    case 'icmptype':
      return named(ICMP_TYPES, v);
    default:
      return named(SMALL[kind] as ReadonlyMap<string, number>, v);
  }
}

/** `ct state` of the engine's conntrack view as nft's bit. */
export function ctStateBit(state: string): number {
  return CT_STATES.get(state.toLowerCase()) ?? 0;
}
