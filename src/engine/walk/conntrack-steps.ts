// Conntrack at the edges of a host: the entry a packet matches where it enters (PREROUTING or
// OUTPUT), the NAT a reply has undone, the entry recorded as the packet leaves.
import { formatIpv4 } from '../../lib/ipv4.ts';
import {
  addEntry,
  establishedView,
  findReplyEntry,
  invert,
  newView,
  tupleOf,
  undoDnat,
  undoSnat,
  unmatchedReplyView,
} from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import type { Packet } from '../packet.ts';
import { hop, withEffect } from './state.ts';
import type { State } from './state.ts';

/**
 * Conntrack at the first hook of a host (PREROUTING or OUTPUT): a packet matching the reply
 * tuple of an entry is ESTABLISHED and has its SNAT undone (DST manip); anything else is a first
 * packet.
 */
export function conntrackIn(st0: State, h: HostNet, p: Packet, dev: string | undefined): { st: State; p: Packet } {
  const entry = findReplyEntry(st0.ct, h.name, p);
  if (entry === undefined) {
    const { ctEntry: _dropped, ...rest } = st0;
    void _dropped;
    return { st: { ...rest, ctView: st0.direction === 'reply' ? unmatchedReplyView(p) : newView(p) }, p };
  }
  let st: State = { ...st0, ctView: establishedView(entry), ctEntry: entry };
  const q = undoSnat(p, entry);
  if (q !== p) {
    const what = `reply of a source-NATed connection: destination restored to ${formatIpv4(q.dst)}`;
    st = withEffect(hop(st, h.name, 'conntrack', what, [], dev), { kind: 'rewritten', what });
  }
  return { st, p: q };
}

/** Conntrack at the last hook (POSTROUTING or INPUT): a reply has its DNAT undone (SRC manip). */
export function conntrackOut(st: State, h: HostNet, p: Packet, dev: string | undefined): { st: State; p: Packet } {
  const entry = st.ctEntry;
  if (st.direction !== 'reply' || entry === undefined) return { st, p };
  const q = undoDnat(p, entry);
  if (q === p) return { st, p };
  const what = `reply of a destination-NATed connection: source restored to ${formatIpv4(q.src)}`;
  return { st: withEffect(hop(st, h.name, 'conntrack', what, [], dev), { kind: 'rewritten', what }), p: q };
}

/** Records this host's conntrack entry for the packet as it leaves (or is delivered). */
export function recordEntry(st: State, h: HostNet, p: Packet): State {
  if (st.direction !== 'forward' || st.firstTuple === undefined) return st;
  const first = st.firstTuple;
  const now = tupleOf(p);
  const e = {
    orig: first,
    reply: invert(now),
    dnat: first.dst !== now.dst || first.dport !== now.dport,
    snat: first.src !== now.src || first.sport !== now.sport,
  };
  return { ...st, ct: addEntry(st.ct, h.name, e) };
}

/** State handed to the next host: no conntrack view or entry carries over. */
export function leaveHost(st: State): State {
  const { ctView: _v, ctEntry: _e, ...rest } = st;
  void _v;
  void _e;
  return rest;
}
