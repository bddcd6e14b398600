// Output: a locally generated packet (or a tunnel's outer packet, or IPVS's rewritten one) is
// routed (source selection), passes OUTPUT, is re-routed when OUTPUT changed it, and goes on to
// POSTROUTING. References: net/ipv4/route.c (ip_route_output_key_hash), ip_output.c,
// netfilter/nf_nat_core.c (ip_route_me_harder).
import { formatIpv4 } from '../../lib/ipv4.ts';
import { itemSaid, said } from '../../model/said.ts';
import { tupleOf } from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import { NEEDS } from '../data-gaps.ts';
import type { Packet } from '../packet.ts';
import { routeLocalnet } from '../kernel/sysctl.ts';
import type { NfOutcome } from '../netfilter/types.ts';
import { fibLookup, nextHops, outputLookup, preferredSource } from '../routing.ts';
import { conntrackIn } from './conntrack-steps.ts';
import { enterable, gapOn, unknownWithout } from './gaps.ts';
import { runHook } from './hook.ts';
import { failRoute, noOutputDevice, routeEvidence } from './route-outcome.ts';
import { describePacket, die, hop, routed, routingLoop, withEffect } from './state.ts';
import type { Ctx, Leaf, State } from './state.ts';

/** ip_route_output → OUTPUT → (re-route) → POSTROUTING. */
export function localOut(
  ctx: Ctx,
  st0: State,
  h: HostNet,
  p0: Packet,
  o: { oif?: string; dnatFrom?: Packet } = {},
): Leaf[] {
  let st: State = { ...st0, depth: st0.depth + 1 };
  const loop = routingLoop(ctx, st, h.name, 'output');
  if (loop !== undefined) return loop;
  const blocked = enterable(ctx, st, h);
  if (blocked !== undefined) return [blocked];
  const routeGap = gapOn(h, NEEDS.routing);
  if (routeGap !== undefined) return [unknownWithout(st, routeGap, 'route', `where ${formatIpv4(p0.dst)} is routed`)];
  // A bound output (a tunnel's underlay device) falls back to "on the link" (outputLookup).
  const fib = outputLookup(h, {
    dst: p0.dst,
    src: p0.src,
    iif: 'lo',
    mark: p0.mark,
    tos: 0,
    ...(o.oif !== undefined ? { oif: o.oif } : {}),
  });
  if (!fib.ok) return [failRoute(st, h, fib, p0.dst)];
  const r = fib.route;
  let p = p0;
  if (p.src === 0) {
    const src = preferredSource(h, r);
    if (src === undefined)
      return [
        die(
          st,
          h.name,
          'route',
          'dropped',
          { kind: 'no-source-address' },
          said`no source address for ${formatIpv4(p.dst)} via ${{ route: r }}`,
          [itemSaid({ route: r })],
        ),
      ];
    p = { ...p, src };
  }
  if (st.sent === undefined) st = { ...st, sent: p };
  if (o.dnatFrom === undefined) {
    const c = conntrackIn({ ...st, firstTuple: tupleOf(p) }, h, p, undefined);
    st = c.st;
    p = c.p;
  } else {
    st = { ...st, firstTuple: tupleOf(o.dnatFrom) };
  }
  const evidence = routeEvidence(fib);
  if (r.type === 'local') {
    st = withEffect(
      hop(st, h.name, 'route', said`${formatIpv4(p.dst)} is this host's own address (${{ route: r }})`, evidence),
      { kind: 'local' },
    );
    // A DNAT in OUTPUT (kube-proxy's NodePort on 127.0.0.1) sends it elsewhere: re-routed as below.
    return runHook(
      ctx,
      st,
      h,
      'OUTPUT',
      p,
      { outIface: 'lo' },
      (s, q, out) => rerouted(ctx, s, h, p, q, out) ?? ctx.stages.deliverLocal(ctx, s, h, 'lo', q),
    );
  }
  return nextHops(r).flatMap((nh) => {
    const oif = nh.dev;
    if (oif === undefined) return [noOutputDevice(st, h, r)];
    const gw = nh.gateway ?? p.dst;
    const s = {
      ...withEffect(
        hop(
          st,
          h.name,
          'route',
          `send ${describePacket(p)} via ${nh.gateway !== undefined ? `${formatIpv4(nh.gateway)} ` : ''}dev ${oif}`,
          evidence,
          oif,
        ),
        routed(oif, nh.gateway, p),
      ),
      nextHopRoute: r,
    };
    return runHook(
      ctx,
      s,
      h,
      'OUTPUT',
      p,
      { outIface: oif, nextHop: gw },
      (s2, q, out) => rerouted(ctx, s2, h, p, q, out) ?? ctx.stages.postrouting(ctx, s2, h, oif, gw, q, undefined),
    );
  });
}

/**
 * ip_route_me_harder() after OUTPUT: a changed destination or mark re-routes the packet; undefined
 * when OUTPUT changed neither. A loopback source may leave by another device only with
 * route_localnet (route.c __mkroute_output: -EINVAL otherwise).
 */
function rerouted(ctx: Ctx, s2: State, h: HostNet, p: Packet, q: Packet, out: NfOutcome): Leaf[] | undefined {
  if (q.dst === p.dst && q.mark === p.mark) return undefined;
  const again = fibLookup(h, { dst: q.dst, src: q.src, iif: 'lo', mark: q.mark, tos: 0 });
  if (!again.ok) return [failRoute(s2, h, again, q.dst)];
  if (again.route.type === 'local') return ctx.stages.deliverLocal(ctx, s2, h, 'lo', q);
  const nh2 = nextHops(again.route)[0];
  if (nh2?.dev === undefined) return [noOutputDevice(s2, h, again.route)];
  const how = out.nat?.kind ?? 'mark';
  if (q.src >>> 24 === 127 && nh2.dev !== 'lo') {
    const sysGap = gapOn(h, NEEDS.sysctl);
    if (sysGap !== undefined)
      return [
        unknownWithout(s2, sysGap, 'route', `whether a loopback source may leave by ${nh2.dev} (route_localnet)`),
      ];
    if (!routeLocalnet(h.state.sysctls, nh2.dev))
      return [
        die(
          s2,
          h.name,
          'route',
          'dropped',
          { kind: 'martian-source' },
          `re-routed after ${how} to ${formatIpv4(q.dst)} via dev ${nh2.dev}, but its source ${formatIpv4(q.src)} is a loopback address and route_localnet is 0: the route lookup fails (EINVAL)`,
          [itemSaid({ route: again.route })],
        ),
      ];
  }
  const s3 = {
    ...withEffect(
      hop(
        s2,
        h.name,
        'route',
        `re-routed after ${how}: via ${nh2.gateway !== undefined ? `${formatIpv4(nh2.gateway)} ` : ''}dev ${nh2.dev}`,
        [itemSaid({ route: again.route })],
        nh2.dev,
      ),
      routed(nh2.dev, nh2.gateway, q, true),
    ),
    nextHopRoute: again.route,
  };
  return ctx.stages.postrouting(ctx, s3, h, nh2.dev, nh2.gateway ?? q.dst, q, undefined);
}
