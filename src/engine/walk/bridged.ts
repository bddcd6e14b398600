// A frame a pod sends to a neighbour on its own bridge (bridge.ts onBridgeLink) is bridged, not
// routed: the bridge forwards it by MAC (net/bridge/br_input.c br_handle_frame_finish), so
// forwarding, the reverse-path filter and TTL do not apply. With br_netfilter
// (bridge-nf-call-iptables = 1) it still passes iptables PREROUTING, FORWARD and POSTROUTING with
// its bridge ports (-m physdev); a destination changed in PREROUTING sends it to the input route
// lookup instead (br_netfilter_hooks.c br_nf_pre_routing_finish), as a routed packet. Measured in
// test/lab/bridge-forwarding.test.ts.
import { formatIpv4 } from '../../lib/ipv4.ts';
import { said } from '../../model/said.ts';
import { podPort } from '../bridge.ts';
import { NEEDS } from '../data-gaps.ts';
import type { HostNet } from '../host-net.ts';
import { bridgeCallsIptables } from '../kernel/sysctl.ts';
import type { PhysdevView } from '../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import { conntrackIn } from './conntrack-steps.ts';
import { gapOn, unknownWithout } from './gaps.ts';
import { runHook } from './hook.ts';
import { hop } from './state.ts';
import type { Ctx, Leaf, State } from './state.ts';

/**
 * What happens to a frame that came in on bridge port `port` of `bridge`, for a neighbour on that
 * bridge. A port the snapshot cannot name (no neighbour and fdb entry for the pod) is "?" to
 * -m physdev: that it came in on a port is known, not which.
 */
export function bridgeFrame(
  ctx: Ctx,
  st: State,
  h: HostNet,
  bridge: string,
  port: string | undefined,
  p: Packet,
  afterDnat: (st: State, p: Packet, physdev: PhysdevView) => Leaf[],
  transmit: (st: State, p: Packet) => Leaf[],
): Leaf[] {
  const sysGap = gapOn(h, NEEDS.sysctl);
  if (sysGap !== undefined)
    return [unknownWithout(st, sysGap, 'bridge', `whether ${bridge} hands bridged frames to iptables`, bridge)];
  const brnf = bridgeCallsIptables(h.state.sysctls);
  const s = hop(
    st,
    h.name,
    'bridge',
    said`${formatIpv4(p.dst)} is on the pod's link: the frame goes to its MAC and ${bridge} forwards it (bridged, not routed)`,
    brnf.lines,
    bridge,
  );
  if (brnf.value !== 1) return transmit(s, p);
  // br_netfilter: conntrack and nat see the bridged frame as they see a routed packet.
  const c = conntrackIn(s, h, p, bridge);
  const inOnly: PhysdevView = { in: port ?? '?', bridged: false };
  return runHook(ctx, c.st, h, 'PREROUTING', c.p, { inIface: bridge, physdev: inOnly }, (s1, q) => {
    if (q.dst !== c.p.dst) return afterDnat(s1, q, inOnly);
    // The output port is the one the destination's MAC was learnt on; without that entry
    // `--physdev-out <port>` could not be told, and only the fact of bridging is known.
    const out = podPort(h, bridge, q.dst)?.port;
    const physdev: PhysdevView = { in: port ?? '?', out: out ?? '?', bridged: true };
    return runHook(ctx, s1, h, 'FORWARD', q, { inIface: bridge, outIface: bridge, nextHop: q.dst, physdev }, (s2, q2) =>
      ctx.stages.postrouting(ctx, s2, h, bridge, q2.dst, q2, bridge, physdev),
    );
  });
}
