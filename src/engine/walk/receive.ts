// Receive: a packet arrives on a device (ip_rcv → PREROUTING), the input route lookup
// (ip_route_input_slow: martians, fib, forwarding, rp_filter) sends it to local delivery (INPUT)
// or forwards it (FORWARD → POSTROUTING).
// References: net/ipv4/ip_input.c, route.c, ip_forward.c, fib_frontend.c (fib_validate_source).
import { formatIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { itemSaid, said } from '../../model/said.ts';
import { tupleOf } from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import { forwarding, routeLocalnet } from '../kernel/sysctl.ts';
import { NEEDS } from '../data-gaps.ts';
import type { PhysdevView } from '../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import { fibLookup, nextHops } from '../routing.ts';
import { validateSource } from '../rpfilter.ts';
import type { RpfResult } from '../rpfilter.ts';
import { bridgeFrame } from './bridged.ts';
import { conntrackIn } from './conntrack-steps.ts';
import { enterable, gapOn, unknownWithout } from './gaps.ts';
import { runHook } from './hook.ts';
import { failRoute, noOutputDevice, routeEvidence } from './route-outcome.ts';
import { transmit } from './transmit.ts';
import { describePacket, die, hop, outerHeader, routed, routingLoop, withEffect } from './state.ts';
import type { Ctx, Leaf, State } from './state.ts';

/** A packet arrives on `dev` of host `h` (ip_rcv → PREROUTING). */
export function receive(ctx: Ctx, st0: State, h: HostNet, dev: string, p0: Packet, physdevIn?: string): Leaf[] {
  const loop = routingLoop(ctx, st0, h.name, 'enter', dev);
  if (loop !== undefined) return loop;
  let st: State = { ...st0, depth: st0.depth + 1, firstTuple: tupleOf(p0), sent: st0.sent ?? p0 };
  // br_netfilter compares the destination after PREROUTING with this one (bridge.ts); a packet
  // that entered elsewhere (another host, a decapsulated one) carries no bridge ingress here.
  const { bridgeIngress: ingress, ...rest } = st;
  st =
    ingress?.host === h.name && ingress.bridge === dev
      ? { ...st, bridgeIngress: { ...ingress, arrivalDst: p0.dst } }
      : rest;
  st = hop(
    st,
    h.name,
    'enter',
    `arrives on ${dev}${physdevIn !== undefined ? ` (bridge port ${physdevIn})` : ''}: ${describePacket(p0)}`,
    [],
    dev,
  );
  const outer = outerHeader(p0);
  if (outer !== undefined) st = withEffect(st, { kind: 'arrived-encapsulated', outer });
  const blocked = enterable(ctx, st, h, dev);
  if (blocked !== undefined) return [blocked];
  const link = h.links.get(dev);
  if (link !== undefined && !link.up)
    return [die(st, h.name, 'enter', 'dropped', { kind: 'link-down' }, `${dev} is down`, [link.raw], dev)];

  // A pod's frame to a neighbour on its bridge is bridged, not routed (walk/bridged.ts).
  const b = st.bridgeIngress;
  if (b?.onLink === true && b.host === h.name && b.bridge === dev)
    return bridgeFrame(
      ctx,
      st,
      h,
      dev,
      physdevIn,
      p0,
      (s, q, physdev) => routeInput(ctx, s, h, dev, q, physdev),
      (s, q) => transmit(ctx, s, h, dev, q.dst, q),
    );

  // Conntrack (PREROUTING, before nat): a reply to a connection this host saw has its SNAT undone.
  const { st: st1, p } = conntrackIn(st, h, p0, dev);
  st = st1;
  const physdev: PhysdevView | undefined = physdevIn !== undefined ? { in: physdevIn, bridged: false } : undefined;
  return runHook(ctx, st, h, 'PREROUTING', p, { inIface: dev, ...(physdev ? { physdev } : {}) }, (s, q) =>
    routeInput(ctx, s, h, dev, q, physdev),
  );
}

function isMartianSource(h: HostNet, dev: string, src: Ipv4): string | undefined {
  if (src >>> 28 === 0xe || src === 0xffffffff) return 'multicast or broadcast source';
  if (src >>> 24 === 0) return 'source in 0.0.0.0/8';
  if (src >>> 24 === 127 && !routeLocalnet(h.state.sysctls, dev))
    return 'loopback source on a non-loopback device (route_localnet = 0)';
  return undefined;
}

/** ip_route_input_slow(): where does a received packet go? */
function routeInput(ctx: Ctx, st: State, h: HostNet, dev: string, p: Packet, physdev: PhysdevView | undefined): Leaf[] {
  const sysGap = gapOn(h, NEEDS.sysctl);
  if (p.src >>> 24 === 127 && sysGap !== undefined)
    return [
      unknownWithout(st, sysGap, 'route', `whether a loopback source is routable on ${dev} (route_localnet)`, dev),
    ];
  const martian = isMartianSource(h, dev, p.src);
  if (martian !== undefined)
    return [
      die(
        st,
        h.name,
        'route',
        'dropped',
        { kind: 'martian-source' },
        `martian source ${formatIpv4(p.src)}: ${martian}`,
        [],
        dev,
      ),
    ];
  const routeGap = gapOn(h, NEEDS.routing);
  if (routeGap !== undefined)
    return [unknownWithout(st, routeGap, 'route', `where ${formatIpv4(p.dst)} is routed`, dev)];
  const fib = fibLookup(h, { dst: p.dst, src: p.src, iif: dev, mark: p.mark, tos: 0 });
  const fwd = forwarding(h.state.sysctls, dev);
  if (!fib.ok) {
    // Without the sysctls the missing route is still a fault; only the "forwarding off" variant needs them.
    if (sysGap === undefined && fwd.value === 0 && fib.error !== 'unknown')
      return [
        die(
          st,
          h.name,
          'route',
          'dropped',
          { kind: 'forwarding-disabled' },
          `not for this host and forwarding is off on ${dev}`,
          fwd.lines,
          dev,
        ),
      ];
    return [failRoute(st, h, fib, p.dst, dev)];
  }
  const r = fib.route;
  const evidence = routeEvidence(fib);
  if (r.type === 'local') {
    const rpf = validateSource(h, { src: p.src, dst: p.dst, iif: dev, mark: p.mark, tos: 0 });
    if (!rpf.pass) return [rpfDrop(st, h, dev, p, rpf)];
    const s2 = withEffect(
      hop(st, h.name, 'route', said`${formatIpv4(p.dst)} is local (${{ route: r }})`, evidence, dev),
      {
        kind: 'local',
      },
    );
    return runHook(ctx, s2, h, 'INPUT', p, { inIface: dev, ...(physdev ? { physdev } : {}) }, (s, q) =>
      ctx.stages.deliverLocal(ctx, s, h, dev, q),
    );
  }
  if (r.type === 'broadcast' || r.type === 'multicast') {
    return [
      die(
        st,
        h.name,
        'route',
        'unknown',
        { kind: 'not-modelled' },
        `${formatIpv4(p.dst)} is a ${r.type} address here: not modelled`,
        [itemSaid({ route: r })],
        dev,
      ),
    ];
  }
  if (sysGap !== undefined) return [unknownWithout(st, sysGap, 'forward', `whether forwarding is on for ${dev}`, dev)];
  if (fwd.value === 0)
    return [
      die(
        st,
        h.name,
        'forward',
        'dropped',
        { kind: 'forwarding-disabled' },
        `${formatIpv4(p.dst)} must be forwarded but forwarding is off on ${dev} (dropped silently)`,
        [...fwd.lines, itemSaid({ route: r })],
        dev,
      ),
    ];
  return nextHops(r).flatMap((nh, i, all) => {
    const oif = nh.dev;
    let s =
      all.length > 1
        ? {
            ...st,
            branch: [
              ...st.branch,
              `multipath next hop ${i + 1}/${all.length}: ${nh.gateway !== undefined ? formatIpv4(nh.gateway) : ''} dev ${oif ?? '?'}`,
            ],
          }
        : st;
    if (oif === undefined) return [noOutputDevice(s, h, r, dev)];
    const rpf = validateSource(h, { src: p.src, dst: p.dst, iif: dev, oif, mark: p.mark, tos: 0 });
    if (!rpf.pass) return [rpfDrop(s, h, dev, p, rpf)];
    s = withEffect(
      hop(
        s,
        h.name,
        'route',
        `forward to ${formatIpv4(p.dst)} via ${nh.gateway !== undefined ? `${formatIpv4(nh.gateway)} ` : ''}dev ${oif}`,
        [...evidence, ...((rpf.mode ?? 0) > 0 ? rpf.evidence.slice(0, 2) : [])],
        dev,
      ),
      routed(oif, nh.gateway, p),
    );
    s = { ...s, nextHopRoute: r };
    const gw = nh.gateway ?? p.dst;
    return runHook(
      ctx,
      s,
      h,
      'FORWARD',
      p,
      { inIface: dev, outIface: oif, nextHop: gw, ...(physdev ? { physdev } : {}) },
      (s2, q) => ctx.stages.postrouting(ctx, s2, h, oif, gw, q, dev),
    );
  });
}

function rpfDrop(st: State, h: HostNet, dev: string, p: Packet, rpf: RpfResult): Leaf {
  if (rpf.missing !== undefined)
    return unknownWithout(
      st,
      rpf.missing,
      'rp-filter',
      `whether the reverse-path filter on ${dev} passes ${formatIpv4(p.src)}`,
      dev,
    );
  if (rpf.reason === 'unknown')
    return die(
      st,
      h.name,
      'rp-filter',
      'unknown',
      { kind: 'not-modelled' },
      `reverse-path filter on ${dev}: cannot tell whether ${formatIpv4(p.src)} passes`,
      rpf.evidence,
      dev,
    );
  if (rpf.reason === 'martian-source')
    return die(
      st,
      h.name,
      'rp-filter',
      'dropped',
      { kind: 'martian-source' },
      `martian source ${formatIpv4(p.src)} (an address of this host)`,
      rpf.evidence,
      dev,
    );
  return die(
    st,
    h.name,
    'rp-filter',
    'dropped',
    { kind: 'rp-filter', looseHelps: rpf.looseHelps !== false },
    `reverse-path filter drops ${formatIpv4(p.src)} → ${formatIpv4(p.dst)} arriving on ${dev}`,
    rpf.evidence,
    dev,
  );
}
