// The outer addresses of an encapsulated packet, as the kernel picks them: for the tunnel checks,
// which ask "where does node A send B's pod traffic, and from which address" without a packet.
// Kernel: ipip_tunnel_xmit (outer dst = tunnel remote, else the route's gateway on the NBMA tunl0);
// vxlan_xmit (remote VTEP from the fdb entry of the neighbour's MAC, else the device's `remote`);
// outer source = the tunnel's `local`, else the source the route to the outer dst selects
// (ip_route_output_key → fib_result_prefsrc / inet_select_addr).
import { renderFdb, renderNeighbor, renderRoute } from '../model/render/iproute2.ts';
import { formatIpv4, parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { HostNet } from './host-net.ts';
import { fibLookup, preferredSource } from './routing.ts';

export interface OuterAddresses {
  kind: 'ipip' | 'vxlan';
  /** Outer destination, or why there is none. */
  dst?: Ipv4;
  src?: Ipv4;
  /** How src was chosen: "local of tunl0", or the route that selected it. */
  srcFrom: string;
  /** Underlay device the outer packet leaves by. */
  dev?: string;
  /** Raw lines: neighbour and fdb entries, the route to the outer destination. */
  evidence: string[];
  problem?: string;
}

/** Outer destination of a packet routed out of tunnel device `oif` toward `nextHop`. */
function outerDst(h: HostNet, oif: string, nextHop: Ipv4): { dst?: Ipv4; evidence: string[]; problem?: string } {
  const link = h.links.get(oif);
  if (link?.kind === 'ipip') {
    const remote = link.ipip?.remote !== undefined ? parseIpv4(link.ipip.remote) : nextHop;
    return remote === undefined
      ? { evidence: [], problem: `IPIP device ${oif} has no remote and no gateway` }
      : { dst: remote, evidence: [] };
  }
  const vx = link?.vxlan;
  if (vx === undefined) return { evidence: [], problem: `${oif} is not a tunnel device` };
  const neigh = h.neighbors.get(`${oif}|${formatIpv4(nextHop)}`);
  if (neigh?.lladdr === undefined)
    return { evidence: [], problem: `no neighbour entry for ${formatIpv4(nextHop)} on ${oif}` };
  const fdb = h.fdb.find((f) => f.dev === oif && f.mac === neigh.lladdr && f.dst !== undefined);
  const vtep = fdb?.dst ?? vx.remote;
  const dst = vtep === undefined ? undefined : parseIpv4(vtep);
  const evidence = [renderNeighbor(neigh), ...(fdb !== undefined ? [renderFdb(fdb)] : [])];
  return dst === undefined
    ? { evidence, problem: `no forwarding entry (bridge fdb) for ${neigh.lladdr} on ${oif}` }
    : { dst, evidence };
}

export function outerAddresses(h: HostNet, oif: string, nextHop: Ipv4): OuterAddresses {
  const link = h.links.get(oif);
  const kind = link?.kind === 'ipip' ? 'ipip' : 'vxlan';
  const d = outerDst(h, oif, nextHop);
  const out: OuterAddresses = { kind, srcFrom: '', evidence: d.evidence };
  if (d.dst === undefined) return { ...out, problem: d.problem ?? 'no outer destination' };
  out.dst = d.dst;
  const local = kind === 'ipip' ? link?.ipip?.local : link?.vxlan?.local;
  const bound = kind === 'ipip' ? link?.ipip?.link : link?.vxlan?.link;
  const r = fibLookup(h, {
    dst: d.dst,
    src: 0,
    iif: 'lo',
    mark: 0,
    tos: 0,
    ...(bound !== undefined ? { oif: bound } : {}),
  });
  if (r.ok) {
    out.evidence.push(renderRoute(r.route));
    const dev = r.route.dev ?? r.route.nexthops[0]?.dev;
    if (dev !== undefined) out.dev = dev;
  }
  const localIp = local !== undefined ? parseIpv4(local) : undefined;
  if (localIp !== undefined) {
    out.src = localIp;
    out.srcFrom = `local ${local} of ${oif}`;
    return out;
  }
  if (!r.ok) return { ...out, problem: `no route to the outer destination ${formatIpv4(d.dst)}` };
  const src = preferredSource(h, r.route);
  if (src !== undefined) {
    out.src = src;
    out.srcFrom =
      r.route.prefsrc !== undefined
        ? `src of the route "${renderRoute(r.route)}"`
        : `primary address of ${out.dev ?? '?'} (route "${renderRoute(r.route)}" has no src)`;
  }
  return out;
}
