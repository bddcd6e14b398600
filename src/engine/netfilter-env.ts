// The host facts netfilter matches consult (NetfilterEnv), answered from a HostNet.
import type { Ipv4 } from '../lib/ipv4.ts';
import type { HostNet } from './host-net.ts';
import { TABLE_LOCAL } from './host-net.ts';
import type { AddrType, FibOifQuery, NetfilterEnv } from './netfilter/types.ts';
import type { Packet } from './packet.ts';
import { describeFibFailure, fibLookup, routeUsesDev, selectAddress, tableLookup } from './routing.ts';

const TYPE_OF: Record<string, AddrType> = {
  unicast: 'UNICAST',
  local: 'LOCAL',
  broadcast: 'BROADCAST',
  anycast: 'ANYCAST',
  multicast: 'MULTICAST',
  blackhole: 'BLACKHOLE',
  unreachable: 'UNREACHABLE',
  prohibit: 'PROHIBIT',
  throw: 'THROW',
  nat: 'NAT',
};

/**
 * inet_dev_addr_type(): multicast and 255.255.255.255/0.0.0.0 by their value, otherwise the type of
 * the longest match in the *local* table, UNICAST when nothing matches (net/ipv4/fib_frontend.c).
 */
export function addrType(h: HostNet, addr: Ipv4, limitIface?: string): AddrType {
  if (addr >>> 28 === 0xe) return 'MULTICAST';
  if (addr === 0xffffffff || addr === 0) return 'BROADCAST';
  const r = tableLookup(h, TABLE_LOCAL, { dst: addr, src: 0, iif: 'lo', mark: 0, tos: 0 });
  if (r.kind !== 'route') return 'UNICAST';
  if (limitIface !== undefined && !routeUsesDev(r.ir.route, limitIface)) return 'UNICAST';
  return TYPE_OF[r.ir.route.type] ?? 'UNICAST';
}

export function netfilterEnv(h: HostNet): NetfilterEnv {
  return {
    addrType: (addr, limitIface) => addrType(h, addr, limitIface),
    ipset: (name) => h.ipsets.get(name),
    masqueradeSource: (outIface, nextHop) => selectAddress(h, outIface, nextHop ?? 0, 0),
    primaryAddress: (iface) => selectAddress(h, iface, 0, 253),
    rpfilterPasses: (p: Packet, iface, opts) => rpfilterMatch(h, p, iface, opts),
    fibOif: (q) => fibOif(h, q),
    ...(h.state.xtRecent !== undefined ? { recent: h.state.xtRecent } : {}),
  };
}

/**
 * `-m rpfilter` (net/ipv4/netfilter/ipt_rpfilter.c rpfilter_mt): its own reverse lookup with
 * iif = lo, the packet's mark only with --validmark; pass when the route is unicast (or local with
 * --accept-local) and leaves through the input device, or any device with --loose. Inversion is
 * the caller's.
 */
export function rpfilterMatch(
  h: HostNet,
  p: Packet,
  iface: string | undefined,
  opts: { loose: boolean; validmark: boolean; acceptLocal: boolean },
): boolean {
  if (iface === undefined || iface === 'lo') return true; // rpfilter_is_loopback
  const r = fibLookup(h, { dst: p.src, src: p.dst, iif: 'lo', mark: opts.validmark ? p.mark : 0, tos: 0 });
  if (!r.ok) return false;
  if (r.route.type !== 'unicast' && !(r.route.type === 'local' && opts.acceptLocal)) return false;
  return routeUsesDev(r.route, iface) || opts.loose;
}

/**
 * nft's `fib ... oif` (net/ipv4/netfilter/nft_fib_ipv4.c nft_fib4_eval): fib_lookup with the
 * query's iif and mark; no route, an error route (blackhole, unreachable, prohibit) or a local one
 * gives 0 (''); with a device to check (the iif/oif flag), that device when a next hop of the route
 * uses it (fib_info_nh_uses_dev), else 0; without one, the route's device.
 */
export function fibOif(h: HostNet, q: FibOifQuery): string | { unknown: string } {
  const r = fibLookup(h, { dst: q.dst, src: q.src, iif: q.iif, mark: q.mark, tos: 0 });
  if (!r.ok) return r.error === 'unknown' ? { unknown: `fib lookup: ${describeFibFailure(r, q.dst)}` } : '';
  if (r.route.type === 'local') return '';
  if (q.via !== undefined) return routeUsesDev(r.route, q.via) ? q.via : '';
  const devs = new Set([r.route.dev, ...r.route.nexthops.map((n) => n.dev)].filter((d) => d !== undefined));
  if (devs.size === 1) return [...devs][0] as string;
  return { unknown: 'a multipath route: which next hop the lookup picks is not modelled' };
}
