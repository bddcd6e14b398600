// Encapsulation by a tunnel device, as the kernel does it: the outer destination, the fixed outer
// source (`local`) and the underlay device the outer route lookup is bound to. One implementation
// for the packet walk (walk/transmit.ts, which then routes the outer packet like any local one)
// and for the tunnel checks, which ask "where does node A send B's pod traffic, and from which address"
// without a packet (outerAddresses).
//
// VXLAN (drivers/net/vxlan/vxlan_core.c vxlan_xmit → vxlan_xmit_one → vxlan_get_route): the inner
// frame's destination MAC comes from the device's neighbour entry of the next hop; the remote VTEP
// from the fdb entry of that MAC, else the all-zeros default entry (the device's `remote`). The
// outer route lookup is bound (flowi4_oif) to the *entry's* remote_ifindex — `via` in
// `bridge fdb`, which the default entry of a device created with `dev` carries — not to the
// device's `dev`: an entry added without `via`, as Calico and flannel add them, is routed
// unbound. Outer source: `local`, else the source that lookup selects. Settled in the lab
// (test/lab/tunnel-outer-rule.test.ts: two NICs on one segment, peers on each subnet).
// IPIP (net/ipv4/ip_tunnel.c ip_tunnel_xmit): outer destination = the tunnel's remote, else the
// inner route's next hop (NBMA tunl0); the lookup is bound to the tunnel's `dev` (parms.link,
// via ip_tunnel_init_flow) and sourced from `local` (parms.iph.saddr). Read from the source, not
// measured: this kernel has no ipip module.
import { itemSaid, said } from '../model/said.ts';
import type { Said } from '../model/said.ts';
import { formatIpv4, parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { FdbEntry, IpipInfo, Link, Neighbor, VxlanInfo } from '../model/types.ts';
import { neighborOf, usableNeighbor } from './host-net.ts';
import type { HostNet } from './host-net.ts';
import type { Packet } from './packet.ts';
import type { HopReason } from './trace.ts';
import { describeFibFailure, outputLookup, preferredSource } from './routing.ts';
import type { FibOutcome } from './routing.ts';

export type TunnelKind = 'ipip' | 'vxlan';

/** What the tunnel device does with a packet routed out of it. */
export interface Encapsulation {
  kind: TunnelKind;
  /** Outer destination: the remote VTEP / tunnel endpoint. */
  dst: Ipv4;
  /** Fixed outer source (`local`); absent: the outer route lookup picks it. */
  local?: Ipv4;
  /** Underlay device the outer route lookup is bound to, and where that binding comes from. */
  bound?: { dev: string; from: Said };
  /** VXLAN: VNI and UDP destination port, and the inner frame's destination MAC. */
  vni?: number;
  port?: number;
  innerMac?: string;
  /** One line for the hop: "VXLAN vni 4096 to VTEP 192.168.1.12 (10.65.0.64 → 66:..)". */
  detail: string;
  /** Neighbour and fdb entries that decided. */
  evidence: Said[];
}

export type EncapResult =
  | { ok: true; encap: Encapsulation }
  | {
      ok: false;
      /** 'unknown': resolution depends on something the snapshot does not show. */
      verdict: 'dropped' | 'unknown';
      step: 'neighbor' | 'encapsulate';
      reason: HopReason;
      problem: Said;
      evidence: Said[];
    };

const ALL_ZEROS_MAC = '00:00:00:00:00:00';

function ipOf(s: string | undefined): Ipv4 | undefined {
  return s === undefined ? undefined : parseIpv4(s);
}

/**
 * Whom VXLAN device `oif` sends a frame for `nextHop` to: the neighbour entry gives the inner
 * destination MAC, the fdb entry of that MAC (else the all-zeros default entry) the remote VTEP,
 * else the device's `remote` (vxlan_xmit: vxlan_find_mac, then the default destination).
 */
interface VxlanTarget {
  neigh: Neighbor | undefined;
  /** The entry of the neighbour's MAC, or the default one; only when the neighbour entry is usable. */
  entry: FdbEntry | undefined;
  vtep: string | undefined;
}

/** The all-zeros entry: where frames without an entry of their own go. */
function defaultEntry(h: HostNet, oif: string): FdbEntry | undefined {
  return h.fdbRemote.get(oif)?.get(ALL_ZEROS_MAC);
}

function vxlanTarget(h: HostNet, oif: string, nextHop: Ipv4): VxlanTarget {
  const vx = h.links.get(oif)!.vxlan!;
  const neigh = neighborOf(h, oif, nextHop);
  if (!usableNeighbor(neigh)) return { neigh, entry: undefined, vtep: undefined };
  const entry = h.fdbRemote.get(oif)?.get(neigh.lladdr) ?? defaultEntry(h, oif);
  return { neigh, entry, vtep: entry?.dst ?? vx.remote };
}

/** The device the outer route lookup is bound to: the entry's `via`, or the device's `dev` when no entry decided. */
function vxlanBound(entry: FdbEntry | undefined, vx: VxlanInfo): string | undefined {
  return entry !== undefined ? entry.via : vx.link;
}

function vxlanEncapsulation(h: HostNet, oif: string, nextHop: Ipv4): EncapResult {
  const vx = h.links.get(oif)!.vxlan!;
  const { neigh, entry, vtep } = vxlanTarget(h, oif, nextHop);
  if (!usableNeighbor(neigh)) {
    const ev = neigh !== undefined ? [itemSaid({ neighbor: neigh })] : [];
    const byDefault = defaultEntry(h, oif);
    const fallback = byDefault?.dst ?? vx.remote;
    // Without an entry the kernel ARPs through the device; the request goes to the default
    // destination, and nothing in the snapshot says whether that end answers.
    if (fallback !== undefined)
      return {
        ok: false,
        verdict: 'unknown',
        step: 'neighbor',
        reason: { kind: 'neighbor-unknown' },
        problem: `no usable neighbour entry for ${formatIpv4(nextHop)} on ${oif}: the kernel asks the default destination ${fallback} by ARP, and whether it answers is not in the snapshot (ip neigh show dev ${oif} after traffic)`,
        evidence: [...ev, byDefault !== undefined ? itemSaid({ fdb: byDefault }) : `remote ${fallback}`],
      };
    return {
      ok: false,
      verdict: 'dropped',
      step: 'neighbor',
      reason: { kind: 'no-neighbor', nextHop },
      problem: `no neighbour entry for ${formatIpv4(nextHop)} on ${oif}: the VXLAN device cannot address the inner frame`,
      evidence: ev,
    };
  }
  if (vtep === undefined)
    return {
      ok: false,
      verdict: 'dropped',
      step: 'neighbor',
      reason: { kind: 'no-neighbor', nextHop },
      problem: `no forwarding entry (bridge fdb) for ${neigh.lladdr} on ${oif}: no remote VTEP`,
      evidence: [itemSaid({ neighbor: neigh })],
    };
  const dst = parseIpv4(vtep);
  const fdbLine = entry !== undefined ? itemSaid({ fdb: entry }) : `remote ${vtep}`;
  if (dst === undefined)
    return {
      ok: false,
      verdict: 'unknown',
      step: 'encapsulate',
      reason: { kind: 'not-modelled' },
      problem: `VTEP ${vtep} is not an IPv4 address`,
      evidence: [fdbLine],
    };
  const boundDev = vxlanBound(entry, vx);
  const local = fixedOuterSource(h.links.get(oif)!);
  const bound =
    boundDev === undefined
      ? undefined
      : {
          dev: boundDev,
          from: entry !== undefined ? said`fdb entry "${{ fdb: entry }}"` : `dev ${boundDev} of ${oif}`,
        };
  return {
    ok: true,
    encap: {
      kind: 'vxlan',
      dst,
      ...(local !== undefined ? { local } : {}),
      ...(bound !== undefined ? { bound } : {}),
      vni: vx.vni,
      port: vx.port,
      ...(neigh.lladdr !== undefined ? { innerMac: neigh.lladdr } : {}),
      detail: `VXLAN vni ${vx.vni} to VTEP ${vtep} (${formatIpv4(nextHop)} → ${neigh.lladdr})${bound !== undefined ? `, outer route bound to ${bound.dev}` : ''}`,
      evidence: [itemSaid({ neighbor: neigh }), fdbLine],
    },
  };
}

/** IPIP's outer destination: the tunnel's remote, else the route's next hop, unless that is the inner destination itself. */
function ipipRemote(info: IpipInfo | undefined, nextHop: Ipv4, innerDst: Ipv4 | undefined): Ipv4 | undefined {
  const remote = info?.remote !== undefined ? parseIpv4(info.remote) : nextHop;
  return remote === undefined || (info?.remote === undefined && remote === innerDst) ? undefined : remote;
}

function ipipEncapsulation(h: HostNet, oif: string, nextHop: Ipv4, innerDst: Ipv4 | undefined): EncapResult {
  const link = h.links.get(oif)!;
  const info = link.ipip;
  const remote = ipipRemote(info, nextHop, innerDst);
  if (remote === undefined)
    return {
      ok: false,
      verdict: 'dropped',
      step: 'encapsulate',
      reason: { kind: 'no-neighbor' },
      problem: `IPIP device ${oif} has no remote and the route gives no gateway`,
      evidence: [],
    };
  const local = fixedOuterSource(link);
  return {
    ok: true,
    encap: {
      kind: 'ipip',
      dst: remote,
      ...(local !== undefined ? { local } : {}),
      ...(info?.link !== undefined ? { bound: { dev: info.link, from: `dev ${info.link} of ${oif}` } } : {}),
      detail: `IPIP to ${formatIpv4(remote)}`,
      evidence: [],
    },
  };
}

/**
 * How tunnel device `oif` encapsulates a packet routed out of it toward `nextHop` (`innerDst`:
 * the inner destination, to tell an IPIP route without a gateway).
 */
export function encapsulation(h: HostNet, oif: string, nextHop: Ipv4, innerDst?: Ipv4): EncapResult {
  const link = h.links.get(oif);
  if (link?.kind === 'ipip') return ipipEncapsulation(h, oif, nextHop, innerDst);
  if (link?.kind === 'vxlan' && link.vxlan !== undefined) return vxlanEncapsulation(h, oif, nextHop);
  return {
    ok: false,
    verdict: 'unknown',
    step: 'encapsulate',
    reason: { kind: 'not-modelled' },
    problem: `${oif} is not a tunnel device`,
    evidence: [],
  };
}

/**
 * The tunnel device that takes an encapsulated packet delivered locally, by name.
 * IPIP (ip_tunnel_lookup): a tunnel whose remote and local match, else a wildcard one (Calico's
 * tunl0). VXLAN (vxlan_rcv → vxlan_vs_find_vni): the device of that UDP port and VNI, whatever
 * the outer destination — the socket is bound to INADDR_ANY (vxlan_socket_create), so `local`
 * does not filter (measured: test/lab/tunnel-outer-rule.test.ts).
 */
export function decapsulator(h: HostNet, p: Packet): string | undefined {
  for (const l of h.linkOrder) {
    if (!l.up) continue;
    if (p.proto === 'ipip' && l.kind === 'ipip') {
      if (l.ipip?.remote !== undefined && l.ipip.remote !== formatIpv4(p.src)) continue;
      if (l.ipip?.local !== undefined && l.ipip.local !== formatIpv4(p.dst)) continue;
      return l.name;
    }
    if (p.proto === 'udp' && l.kind === 'vxlan' && l.vxlan?.port === p.dport && l.vxlan.vni === p.vni) return l.name;
  }
  return undefined;
}

export function isTunnel(h: HostNet, dev: string): boolean {
  const l = h.links.get(dev);
  return l?.kind === 'ipip' || (l?.kind === 'vxlan' && l.vxlan !== undefined);
}

export interface OuterAddresses {
  kind: TunnelKind;
  /** Outer destination, or why there is none. */
  dst?: Ipv4;
  src?: Ipv4;
  /** How src was chosen: "local of tunl0", or the route that selected it. */
  srcFrom: Said;
  /** Underlay device the outer packet leaves by. */
  dev?: string;
  /** Neighbour and fdb entries, the route to the outer destination. */
  evidence: Said[];
  problem?: Said;
}

/** The route the outer packet takes: to the remote end, bound to the underlay device when one binds it. */
function outerRoute(h: HostNet, dst: Ipv4, bound: string | undefined): FibOutcome {
  return outputLookup(h, { dst, src: 0, iif: 'lo', mark: 0, tos: 0, ...(bound !== undefined ? { oif: bound } : {}) });
}

/**
 * The outer source of every packet out of tunnel device `link`, whatever its destination: the
 * device's `local` (IPIP parms.iph.saddr, VXLAN cfg.saddr); undefined when routing picks it per packet.
 */
export function fixedOuterSource(link: Link): Ipv4 | undefined {
  return ipOf(link.kind === 'ipip' ? link.ipip?.local : link.vxlan?.local);
}

/** What encapsulation decides, without its words: the outer destination, `local` and the bound device. */
export interface OuterEnds {
  dst: Ipv4;
  local: Ipv4 | undefined;
  bound: string | undefined;
}

/**
 * The outer ends of a packet routed out of tunnel device `oif` toward `nextHop` — the same
 * decisions as encapsulation(), undefined exactly where it fails — with no evidence or wording
 * built: the tunnel checks ask it for every ordered pair of nodes.
 */
export function outerEnds(h: HostNet, oif: string, nextHop: Ipv4): OuterEnds | undefined {
  const link = h.links.get(oif);
  if (link?.kind === 'ipip') {
    const dst = ipipRemote(link.ipip, nextHop, undefined);
    if (dst === undefined) return undefined;
    return { dst, local: fixedOuterSource(link), bound: link.ipip?.link };
  }
  if (link?.kind !== 'vxlan' || link.vxlan === undefined) return undefined;
  const t = vxlanTarget(h, oif, nextHop);
  const dst = usableNeighbor(t.neigh) ? ipOf(t.vtep) : undefined;
  if (dst === undefined) return undefined;
  return { dst, local: fixedOuterSource(link), bound: vxlanBound(t.entry, link.vxlan) };
}

/** The outer source outerAddresses gives for these ends, without evidence: `local`, else the outer route's preferred source. */
export function outerSource(h: HostNet, ends: OuterEnds): Ipv4 | undefined {
  if (ends.local !== undefined) return ends.local;
  const r = outerRoute(h, ends.dst, ends.bound);
  return r.ok ? preferredSource(h, r.route) : undefined;
}

/** The outer addresses of a packet routed out of tunnel device `oif` toward `nextHop`, without walking it. */
export function outerAddresses(h: HostNet, oif: string, nextHop: Ipv4): OuterAddresses {
  const kind: TunnelKind = h.links.get(oif)?.kind === 'ipip' ? 'ipip' : 'vxlan';
  const e = encapsulation(h, oif, nextHop);
  if (!e.ok) return { kind, srcFrom: '', evidence: e.evidence, problem: e.problem };
  const { dst, local, bound } = e.encap;
  const out: OuterAddresses = { kind, dst, srcFrom: '', evidence: [...e.encap.evidence] };
  const r = outerRoute(h, dst, bound?.dev);
  if (r.ok) {
    out.evidence.push(itemSaid({ route: r.route }));
    const dev = r.route.dev ?? r.route.nexthops[0]?.dev;
    if (dev !== undefined) out.dev = dev;
  }
  if (local !== undefined) return { ...out, src: local, srcFrom: `local ${formatIpv4(local)} of ${oif}` };
  if (!r.ok) return { ...out, problem: describeFibFailure(r, dst) };
  const src = preferredSource(h, r.route);
  if (src === undefined) return { ...out, problem: `no source address on ${out.dev ?? '?'} for ${formatIpv4(dst)}` };
  const link = h.links.get(oif);
  const devOf = link?.vxlan?.link ?? link?.ipip?.link;
  const via =
    bound !== undefined
      ? said`, lookup bound to ${bound.dev} by the ${bound.from}`
      : devOf !== undefined
        ? `; "dev ${devOf}" of ${oif} does not bind it: the fdb entry has no "via"`
        : '';
  return {
    ...out,
    src,
    srcFrom:
      r.route.prefsrc !== undefined
        ? said`src of the route "${{ route: r.route }}"${via}`
        : said`primary address of ${out.dev ?? '?'} (route "${{ route: r.route }}" has no src${via})`,
  };
}

/**
 * Whether the receiving VXLAN device takes the inner frame: vxlan_rcv hands it to
 * eth_type_trans(skb, vxlan->dev), which marks a unicast frame for another MAC PACKET_OTHERHOST,
 * and ip_rcv_core drops those. Undefined when it does (or the MACs are not known).
 */
export function vtepMacMismatch(h: HostNet, tun: string, p: Packet): { frame: string; device: string } | undefined {
  const mac = h.links.get(tun)?.mac;
  const frame = p.innerMac;
  if (mac === undefined || frame === undefined) return undefined;
  // The least significant bit of the first octet: group (multicast, broadcast) addresses are taken.
  const group = (Number.parseInt(frame.slice(0, 2), 16) & 1) === 1;
  if (group || frame.toLowerCase() === mac.toLowerCase()) return undefined;
  return { frame, device: mac };
}
