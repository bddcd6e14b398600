// Small match modules: comment, pkttype, limit, hashlimit, length, iprange.
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch, MatchCtx } from '../compiled.ts';
import { arg, badOption } from '../options.ts';
import { parseIpv4 } from '../../../lib/ipv4.ts';

/** -m comment: always true (xt_comment.c has no match function worth the name). */
export function compileComment(m: IptMatch): CompiledMatch[] {
  return m.options.filter((o) => o.name !== 'comment').map((o) => badOption('comment', o));
}

/**
 * -m pkttype --pkt-type unicast|broadcast|multicast (xt_pkttype.c): the link-layer type of the
 * frame. The engine's packets are unicast frames unless the destination is a multicast address
 * or a broadcast address of the host (env.addrType says which).
 */
export function compilePkttype(m: IptMatch): CompiledMatch[] {
  return m.options.map((o): CompiledMatch => {
    const want = arg(o)?.toLowerCase();
    if (o.name !== 'pkt-type' || (want !== 'unicast' && want !== 'broadcast' && want !== 'multicast'))
      return badOption('pkttype', o);
    const kind = (c: MatchCtx): string => {
      if (c.packet.dst >>> 28 === 0xe) return 'multicast';
      if (c.packet.dst === 0xffffffff || c.env.addrType(c.packet.dst) === 'BROADCAST') return 'broadcast';
      return 'unicast';
    };
    return { kind: 'pred', pred: (c) => (kind(c) === want) !== o.negated };
  });
}

/**
 * -m limit (xt_limit.c): a token bucket that starts full (credit = burst). The engine asks about
 * one packet of a new flow, which always finds a token: limit matches. Under a flood it would
 * not — that is load, not configuration.
 */
export function compileLimit(m: IptMatch): CompiledMatch[] {
  const known = new Set(['limit', 'limit-burst']);
  return m.options.filter((o) => !known.has(o.name) || o.negated).map((o) => badOption('limit', o));
}

/**
 * -m hashlimit (xt_hashlimit.c): per-bucket token buckets that also start full, so a single
 * packet is "under the limit": --hashlimit-upto (and the old --hashlimit) match, --hashlimit-above
 * does not.
 */
export function compileHashlimit(m: IptMatch): CompiledMatch[] {
  const out: CompiledMatch[] = [];
  for (const o of m.options) {
    if (o.negated) out.push(badOption('hashlimit', o));
    else if (o.name === 'hashlimit-above')
      out.push({ kind: 'never', why: '--hashlimit-above: a single packet is under any limit' });
    else if (!o.name.startsWith('hashlimit')) out.push(badOption('hashlimit', o));
  }
  return out;
}

/** -m length --length A[:B] (xt_length.c): the IPv4 total length. */
export function compileLength(m: IptMatch): CompiledMatch[] {
  return m.options.map((o): CompiledMatch => {
    const r = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(arg(o) ?? '');
    if (o.name !== 'length' || r === null) return badOption('length', o);
    const lo = Number(r[1]);
    const hi = r[2] === undefined ? lo : Number(r[2]);
    return { kind: 'pred', pred: (c) => (c.packet.length >= lo && c.packet.length <= hi) !== o.negated };
  });
}

/** -m iprange --src-range A-B / --dst-range A-B (xt_iprange.c), inclusive. */
export function compileIprange(m: IptMatch): CompiledMatch[] {
  return m.options.map((o): CompiledMatch => {
    const parts = (arg(o) ?? '').split('-');
    const lo = parseIpv4(parts[0] ?? '');
    const hi = parts.length === 2 ? parseIpv4(parts[1] ?? '') : lo;
    if ((o.name !== 'src-range' && o.name !== 'dst-range') || lo === undefined || hi === undefined || parts.length > 2)
      return badOption('iprange', o);
    const src = o.name === 'src-range';
    return {
      kind: 'pred',
      pred: (c) => {
        const a = src ? c.packet.src : c.packet.dst;
        return (a >= lo && a <= hi) !== o.negated;
      },
    };
  });
}
