// POSTROUTING and transmission: the packet leaves a device, encapsulated by a tunnel device
// (tunnel.ts; the outer packet is then routed as a local one) or handed to whoever answers on the
// link: the next host's receive, a pod, an external host, or a hop netcheck cannot see.
// References: net/ipv4/ip_output.c, drivers/net/vxlan, net/ipv4/ipip.c.
import { formatIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { itemSaid, said } from '../../model/said.ts';
import type { Said } from '../../model/said.ts';
import type { HostNet } from '../host-net.ts';
import { fibLookup } from '../routing.ts';
import type { HopReason } from '../trace.ts';
import { NEEDS } from '../data-gaps.ts';
import type { Packet } from '../packet.ts';
import { bridgeDelivers } from '../bridge.ts';
import { encapsulation, isTunnel } from '../tunnel.ts';
import { resolveReceiver } from '../world.ts';
import { conntrackOut, leaveHost, recordEntry } from './conntrack-steps.ts';
import { gapOn, unknownWithout } from './gaps.ts';
import { runHook } from './hook.ts';
import { die, end, hop, seen, withEffect } from './state.ts';
import type { Ctx, Endpoint, Leaf, Stages, State } from './state.ts';
import type { PodEndpoint } from '../world.ts';

/** POSTROUTING; then a reply has its DNAT undone, this host's entry is recorded and the packet leaves. */
export const postrouting: Stages['postrouting'] = (ctx, st, h, oif, nextHop, p, inIface, physdev) => {
  return runHook(
    ctx,
    st,
    h,
    'POSTROUTING',
    p,
    {
      outIface: oif,
      nextHop,
      ...(inIface !== undefined ? { inIface } : {}),
      ...(physdev !== undefined ? { physdev } : {}),
    },
    (s, q0) => {
      const c = conntrackOut(s, h, q0, oif);
      const s2 = recordEntry(c.st, h, c.p);
      return transmit(ctx, leaveHost(s2), h, oif, nextHop, c.p);
    },
  );
};

/** The packet leaves `oif` toward `nextHop` (after POSTROUTING, or bridged without br_netfilter). */
export function transmit(ctx: Ctx, st0: State, h: HostNet, oif: string, nextHop: Ipv4, p: Packet): Leaf[] {
  const link = h.links.get(oif);
  if (link !== undefined && !link.up)
    return [die(st0, h.name, 'transmit', 'dropped', { kind: 'link-down' }, `${oif} is down`, [link.raw], oif)];
  const fit = fitsMtu(h, oif, p);
  if (fit.tooBig) return [die(st0, h.name, 'transmit', 'dropped', fit.reason, fit.detail, fit.evidence, oif)];
  const st = fit.fragments !== undefined ? hop(st0, h.name, 'transmit', fit.fragments, [], oif) : st0;
  if (isTunnel(h, oif)) return encapsulate(ctx, st, h, oif, nextHop, p);
  const rcv = resolveReceiver(ctx.world, h, oif, nextHop, p.dst);
  switch (rcv.kind) {
    case 'host': {
      const h2 = ctx.world.hosts.get(rcv.host)!;
      const s = hop(st, h.name, 'transmit', said`out ${oif} to ${formatIpv4(nextHop)}: ${rcv.how}`, [], oif);
      return ctx.stages.receive(ctx, leaveHost(s), h2, rcv.dev, p, rcv.physdevIn);
    }
    case 'pod': {
      const b = link?.kind === 'bridge' ? bridgeDelivers(h, oif, st.bridgeIngress, rcv.pod.ip, p.dst) : undefined;
      if (b !== undefined && b.deliver === false)
        return [die(st, h.name, 'bridge', 'dropped', { kind: 'hairpin-off', port: b.port }, b.detail, b.evidence, oif)];
      if (b !== undefined && b.deliver === 'unknown')
        return [die(st, h.name, 'bridge', 'unknown', { kind: 'bridge-port-unknown' }, b.detail, b.evidence, oif)];
      if (p.src === rcv.pod.ip) return [martianAtPod(st, h, oif, p, rcv.pod)];
      return [deliverEndpoint(st, h, oif, p, { kind: 'pod', pod: rcv.pod }, rcv.how)];
    }
    case 'external':
      return [deliverEndpoint(st, h, oif, p, { kind: 'external', external: rcv.external }, rcv.how)];
    case 'gateway': {
      const ext = ctx.world.externals.find((e) => e.ip === p.dst);
      if (ext !== undefined)
        return [
          deliverEndpoint(
            st,
            h,
            oif,
            p,
            { kind: 'external', external: ext },
            `handed to ${formatIpv4(rcv.gateway)}, which is not probed`,
          ),
        ];
      return [
        die(
          st,
          h.name,
          'transmit',
          'unknown',
          { kind: 'not-probed', node: formatIpv4(rcv.gateway) },
          `leaves ${oif} toward ${formatIpv4(rcv.gateway)}, which netcheck did not probe`,
          routeLine(st),
          oif,
        ),
      ];
    }
    case 'unseen':
      return [
        rcv.gap !== undefined
          ? unknownWithout(st, rcv.gap, 'neighbor', said`who answers ARP for ${formatIpv4(nextHop)} (${rcv.how})`, oif)
          : die(
              st,
              h.name,
              'transmit',
              'unknown',
              { kind: 'not-probed', node: rcv.node },
              said`leaves ${oif} toward ${formatIpv4(nextHop)}: ${rcv.how}`,
              routeLine(st),
              oif,
            ),
      ];
    case 'undecided': {
      const ev = [...routeLine(st), ...rcv.evidence];
      return [die(st, h.name, 'neighbor', 'unknown', { kind: 'neighbor-unknown' }, rcv.why, ev, oif)];
    }
  }
}

/** The route that chose the next hop, as the evidence of what happens to it. */
function routeLine(st: State): Said[] {
  return st.nextHopRoute !== undefined ? [itemSaid({ route: st.nextHopRoute })] : [];
}

/**
 * A pod receiving a packet from its own address (reached through its Service without source NAT)
 * drops it: ip_route_input_slow → fib_validate_source refuses a local source (martian) unless
 * accept_local is set in the pod, whose sysctls netcheck does not read (the kernel default is 0).
 */
function martianAtPod(st: State, h: HostNet, oif: string, p: Packet, pod: PodEndpoint): Leaf {
  return die(
    st,
    h.name,
    'deliver',
    'dropped',
    { kind: 'hairpin-no-masquerade' },
    `out ${oif} to pod ${pod.name}, which receives a packet from its own address ${formatIpv4(p.src)}: not source-NATed, it is a martian source to the pod's kernel and dropped (the pod's accept_local is not collected; assumed the default 0)`,
    routeLine(st),
    oif,
  );
}

function deliverEndpoint(st: State, h: HostNet, oif: string, p: Packet, ep: Endpoint, how: Said): Leaf {
  const name = ep.kind === 'pod' ? `pod ${ep.pod.name}` : ep.kind === 'external' ? ep.external.name : ep.host;
  // How the receiver was found is the hop's evidence, not a clause of its sentence (which then nested).
  const s = withEffect(hop(st, h.name, 'deliver', `out ${oif}: delivered to ${name}`, [how], oif), {
    kind: 'delivered',
    what: `delivered to ${name}`,
  });
  return { ...end(s, 'delivered', { seenAs: seen(p), deliveredTo: name }), endpoint: ep, packet: p };
}

/**
 * A packet larger than the egress device's MTU: with Don't Fragment the kernel drops it and
 * answers ICMP fragmentation-needed with the MTU to the source (ip_forward.c ip_exceeds_mtu; a
 * local sender gets EMSGSIZE); without, ip_fragment splits it.
 */
function fitsMtu(
  h: HostNet,
  oif: string,
  p: Packet,
): { tooBig: true; reason: HopReason; detail: string; evidence: Said[] } | { tooBig: false; fragments?: string } {
  const mtu = h.links.get(oif)?.mtu;
  if (mtu === undefined || p.length <= mtu) return { tooBig: false };
  if (p.df === false)
    return {
      tooBig: false,
      fragments: `${p.length} bytes do not fit ${oif}'s MTU ${mtu}: fragmented (Don't Fragment not set) into ${Math.ceil((p.length - 20) / (Math.floor((mtu - 20) / 8) * 8))} pieces`,
    };
  const back = fibLookup(h, { dst: p.src, src: 0, iif: 'lo', mark: 0, tos: 0 });
  return {
    tooBig: true,
    reason: { kind: 'mtu-exceeded', mtu },
    detail: `a ${p.length}-byte packet with Don't Fragment does not fit ${oif}'s MTU ${mtu}: dropped; ${h.name} sends ICMP fragmentation-needed (mtu ${mtu}) to ${formatIpv4(p.src)}${back.ok && back.route.type === 'unicast' ? '' : `, but has no route back to ${formatIpv4(p.src)}: the sender never learns the path MTU`}`,
    evidence: [
      itemSaid({ link: h.links.get(oif)! }),
      ...(back.ok
        ? [
            said`ICMP frag-needed goes back by: ${{ route: back.route }} (whether firewalls on the way pass it is not walked)`,
          ]
        : []),
    ],
  };
}

/**
 * A pod as the sender: its own eth0 is not probed, the node's end of its veth is, and CNIs give
 * both ends one MTU. A packet with Don't Fragment above it never leaves the pod (ip_fragment:
 * EMSGSIZE, ping's "message too long"); without DF the pod fragments it (fitsMtu's rule).
 */
export function podEgressTooBig(
  h: HostNet,
  veth: string,
  p: Packet,
  pod: string,
): { reason: HopReason; detail: string; evidence: Said[] } | undefined {
  const link = h.links.get(veth);
  // Only a veth whose peer is in another namespace is a pod's (Cilium's cilium_host pairs with cilium_net on the node).
  if (link?.kind !== 'veth' || link.linkNetnsId === undefined || p.length <= link.mtu || p.df === false)
    return undefined;
  return {
    reason: { kind: 'mtu-exceeded', mtu: link.mtu },
    detail: `a ${p.length}-byte packet with Don't Fragment does not fit pod ${pod}'s device, MTU ${link.mtu} as its veth ${veth} on ${h.name} shows (the CNI sets both ends): the pod's kernel refuses to send it (EMSGSIZE, "message too long")`,
    evidence: [itemSaid({ link })],
  };
}

/** A tunnel device encapsulates (tunnel.ts); the outer packet is then routed as a local one. */
function encapsulate(ctx: Ctx, st: State, h: HostNet, oif: string, nextHop: Ipv4, p: Packet): Leaf[] {
  const l2Gap = h.links.get(oif)?.kind === 'vxlan' ? gapOn(h, NEEDS.neighbours) : undefined;
  if (l2Gap !== undefined)
    return [unknownWithout(st, l2Gap, 'neighbor', `which VTEP ${formatIpv4(nextHop)} on ${oif} is behind`, oif)];
  const e = encapsulation(h, oif, nextHop, p.dst);
  if (!e.ok) {
    // The route that picked this next hop is the line to look at (docs/incidents.md #2: a tunnel route
    // whose gateway is not a VTEP), so it leads the evidence.
    const ev = [...(e.step === 'neighbor' ? routeLine(st) : []), ...e.evidence];
    return [die(st, h.name, e.step, e.verdict, e.reason, e.problem, ev, oif)];
  }
  const x = e.encap;
  const outer: Packet =
    x.kind === 'vxlan'
      ? {
          src: x.local ?? 0,
          dst: x.dst,
          proto: 'udp',
          sport: 0xc000,
          dport: x.port ?? 0,
          mark: 0,
          connmark: 0,
          length: p.length + 50,
          df: false,
          inner: p,
          ...(x.vni !== undefined ? { vni: x.vni } : {}),
          ...(x.innerMac !== undefined ? { innerMac: x.innerMac } : {}),
        }
      : {
          src: x.local ?? 0,
          dst: x.dst,
          proto: 'ipip',
          sport: 0,
          dport: 0,
          mark: 0,
          connmark: 0,
          length: p.length + 20,
          // ip_tunnel_xmit copies the inner DF to the outer header (pmtudisc, the default).
          ...(p.df !== undefined ? { df: p.df } : {}),
          inner: p,
        };
  const s = hop(st, h.name, 'encapsulate', x.detail, x.evidence, oif);
  return ctx.stages.localOut(ctx, leaveHost(s), h, outer, x.bound !== undefined ? { oif: x.bound.dev } : {});
}
