// Reverse-path validation of a received packet: fib_validate_source() and
// __fib_validate_source() in net/ipv4/fib_frontend.c. Called for packets routed locally and for
// packets to be forwarded, *before* netfilter's INPUT/FORWARD hooks — a packet it rejects leaves
// no trace in iptables counters (docs/incidents.md #1).
import { formatIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import { itemSaid, said } from '../model/said.ts';
import type { Said } from '../model/said.ts';
import type { Route } from '../model/types.ts';
import { acceptLocal, rpFilter, srcValidMark } from './kernel/sysctl.ts';
import type { HostNet } from './host-net.ts';
import { describeFibFailure, fibLookup, routeUsesDev } from './routing.ts';
import { missingSection, NEEDS } from './data-gaps.ts';
import type { DataMissing } from './data-gaps.ts';

export interface RpfResult {
  pass: boolean;
  /** Effective mode 0/1/2 = max(conf.all.rp_filter, conf.<dev>.rp_filter); undefined when the sysctls were not collected. */
  mode: number | undefined;
  /** 'martian-source': the source is one of this host's own addresses (EINVAL). */
  /** 'unknown': the reverse lookup reached a rule or route the model does not represent. */
  /** 'data-missing': the answer depends on sysctls the snapshot does not have (`missing`). */
  reason?: 'martian-source' | 'rp-filter' | 'unknown' | 'data-missing';
  missing?: DataMissing;
  /** For 'rp-filter': false when loose mode would refuse it too (a device without IPv4 addresses). */
  looseHelps?: boolean;
  /** The sysctl lines and the reverse route that decided. */
  evidence: Said[];
  /** The route the kernel would use to answer the source (for the explanation). */
  reverseRoute?: Route;
  reverseDev?: string;
}

/** A received packet as fib_validate_source sees it. */
export interface RpfQuery {
  src: Ipv4;
  dst: Ipv4;
  /** Device the packet came in on. */
  iif: string;
  /**
   * Output device of the forward route (absent for local delivery); the reverse lookup uses it
   * as its input interface (flowi4_iif = oif ? : LOOPBACK).
   */
  oif?: string;
  mark: number;
  tos: number;
}

export function validateSource(h: HostNet, q: RpfQuery): RpfResult {
  const { src, dst, iif, oif, mark, tos } = q;
  const sysGap = missingSection(h.state, NEEDS.sysctl);
  if (sysGap !== undefined) return withoutSysctls(h, { src, dst, iif, oif, mark, tos }, sysGap);
  const sys = h.state.sysctls;
  const rpf = rpFilter(sys, iif);
  const mode = rpf.value;
  const accLocal = acceptLocal(sys, iif);
  const ev: Said[] = [...rpf.lines];
  const hasCustomRules = h.rules.some((r) => ![0, 32766, 32767].includes(r.priority));

  if (mode === 0 && !hasCustomRules) {
    // Fast path: only a source that is one of this host's own addresses is refused.
    if (!accLocal && isLocalAddress(h, src)) {
      return {
        pass: false,
        mode,
        reason: 'martian-source',
        evidence: [...ev, `${formatIpv4(src)} is an address of this host (martian source)`],
      };
    }
    return { pass: true, mode, evidence: ev };
  }

  const rev = fibLookup(h, { dst: src, src: dst, iif: oif ?? 'lo', mark: srcValidMark(sys, iif) ? mark : 0, tos });
  const noAddr = (h.addresses.get(iif) ?? []).length === 0;
  if (!rev.ok && rev.error === 'unknown') {
    return {
      pass: false,
      mode,
      reason: 'unknown',
      evidence: [
        ...ev,
        describeFibFailure(rev, src),
        ...(rev.rule !== undefined ? [itemSaid({ rule: rev.rule })] : []),
        ...(rev.route !== undefined ? [itemSaid({ route: rev.route })] : []),
      ],
    };
  }
  if (!rev.ok) {
    // last_resort: no route back at all.
    if (mode !== 0)
      return { pass: false, mode, reason: 'rp-filter', evidence: [...ev, `no route back to ${formatIpv4(src)}`] };
    return { pass: true, mode, evidence: ev };
  }
  const r = rev.route;
  if (r.type !== 'unicast' && !(r.type === 'local' && accLocal)) {
    return {
      pass: false,
      mode,
      reason: 'martian-source',
      evidence: [...ev, said`reverse route to ${formatIpv4(src)} is "${{ route: r }}" (type ${r.type})`],
      reverseRoute: r,
    };
  }
  const reverseDev = r.dev ?? r.nexthops[0]?.dev;
  const base = { mode, reverseRoute: r, ...(reverseDev !== undefined ? { reverseDev } : {}) };
  if (routeUsesDev(r, iif)) return { pass: true, evidence: ev, ...base };
  if (mode === 0) return { pass: true, evidence: ev, ...base };
  const why = said`reverse route to ${formatIpv4(src)} is "${{ route: r }}" via ${reverseDev ?? '?'}, not ${iif}`;
  // A device without IPv4 addresses goes to last_resort: refused in loose mode too.
  if (noAddr)
    return {
      pass: false,
      reason: 'rp-filter',
      looseHelps: false,
      evidence: [...ev, why, `${iif} has no IPv4 address (loose mode cannot help)`],
      ...base,
    };
  if (mode === 1) return { pass: false, reason: 'rp-filter', evidence: [...ev, why], ...base };
  // Loose: any unicast route back is enough (the oif-restricted second lookup only sets itag).
  return { pass: true, evidence: [...ev, said`${why} (loose mode: accepted)`], ...base };
}

/**
 * Without the sysctls, rp_filter's mode, accept_local and src_valid_mark are unknown. The packet
 * still passes when every setting would pass it: a source that is not the host's own whose way
 * back (with and without the mark) leaves by the input device. Anything else is unknown.
 */
function withoutSysctls(
  h: HostNet,
  k: { src: Ipv4; dst: Ipv4; iif: string; oif: string | undefined; mark: number; tos: number },
  missing: DataMissing,
): RpfResult {
  const unknown: RpfResult = { pass: false, mode: undefined, reason: 'data-missing', missing, evidence: [] };
  if (isLocalAddress(h, k.src)) return unknown;
  for (const mark of k.mark === 0 ? [0] : [0, k.mark]) {
    const rev = fibLookup(h, { dst: k.src, src: k.dst, iif: k.oif ?? 'lo', mark, tos: k.tos });
    if (!rev.ok || rev.route.type !== 'unicast' || !routeUsesDev(rev.route, k.iif)) return unknown;
  }
  return { pass: true, mode: undefined, evidence: [] };
}

/** True when `ip` is configured on any device of the host (inet_lookup_ifaddr). */
export function isLocalAddress(h: HostNet, ip: Ipv4): boolean {
  for (const list of h.addresses.values()) for (const a of list) if (a.local === ip) return true;
  return false;
}
