// Connection tracking as far as the engine needs it: the entries the forward packet creates on
// each host, and the inverse translation conntrack applies to the reply. NAT rules run only for
// the first packet; replies are translated by the entry (net/netfilter/nf_nat_core.c):
// DST is rewritten in PREROUTING/OUTPUT, SRC in POSTROUTING/INPUT.
import type { Ipv4 } from '../lib/ipv4.ts';
import type { ConntrackView } from './netfilter/types.ts';
import type { Packet, Protocol } from './packet.ts';

export interface Tuple {
  src: Ipv4;
  dst: Ipv4;
  proto: Protocol;
  sport: number;
  dport: number;
}

export interface CtEntry {
  orig: Tuple;
  /** The tuple a reply carries when it comes back (inverse of the packet as it left). */
  reply: Tuple;
  dnat: boolean;
  snat: boolean;
}

/** Conntrack tables of all hosts, keyed by host name. Immutable: adding returns a new table. */
export type CtTables = ReadonlyMap<string, readonly CtEntry[]>;

export function tupleOf(p: Packet): Tuple {
  return { src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport };
}

export function invert(t: Tuple): Tuple {
  return { src: t.dst, dst: t.src, proto: t.proto, sport: t.dport, dport: t.sport };
}

function same(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.proto === b.proto && a.sport === b.sport && a.dport === b.dport;
}

export function addEntry(t: CtTables, host: string, e: CtEntry): CtTables {
  const m = new Map(t);
  m.set(host, [...(t.get(host) ?? []), e]);
  return m;
}

export function findReplyEntry(t: CtTables, host: string, p: Packet): CtEntry | undefined {
  const k = tupleOf(p);
  return t.get(host)?.find((e) => same(e.reply, k));
}

/** The conntrack view of a first packet (creates a NEW entry). */
export function newView(p: Packet): ConntrackView {
  return {
    state: 'NEW',
    direction: 'ORIGINAL',
    dnat: false,
    snat: false,
    origSrc: p.src,
    origDst: p.dst,
    origDport: p.dport,
  };
}

/**
 * The view of a packet for which the host has no entry in the reply direction: a UDP datagram
 * starts a new connection; a TCP SYN-ACK or an ICMP echo reply without its request is INVALID
 * (nf_conntrack_proto_tcp.c tcp_new(): only SYN (or, with nf_conntrack_tcp_loose, an ACK) may
 * start one; nf_conntrack_proto_icmp.c: echo replies never do).
 */
export function unmatchedReplyView(p: Packet): ConntrackView {
  const v = newView(p);
  if (p.proto === 'udp' || p.proto === 'ipip') return v;
  return { ...v, state: 'INVALID' };
}

export function establishedView(e: CtEntry): ConntrackView {
  return {
    state: 'ESTABLISHED',
    direction: 'REPLY',
    dnat: e.dnat,
    snat: e.snat,
    origSrc: e.orig.src,
    origDst: e.orig.dst,
    origDport: e.orig.dport,
  };
}

/** Reply translation at PREROUTING / OUTPUT: undo SNAT (restore the original source as destination). */
export function undoSnat(p: Packet, e: CtEntry): Packet {
  return e.snat ? { ...p, dst: e.orig.src, dport: e.orig.sport } : p;
}

/** Reply translation at POSTROUTING / INPUT: undo DNAT (restore the original destination as source). */
export function undoDnat(p: Packet, e: CtEntry): Packet {
  return e.dnat ? { ...p, src: e.orig.dst, sport: e.orig.dport } : p;
}
