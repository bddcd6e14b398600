// The Linux bridge as far as the engine walks it: pods behind a bridge (the bridge CNI plugin,
// flannel's cni0, kubenet's cbr0) are reached through the bridge device, and the bridge's own
// forwarding decision matters in one case, hairpin: br_netfilter (bridge-nf-call-iptables = 1)
// hands a frame that came in on a port to iptables PREROUTING; when DNAT changes its destination
// to an address routed out of the same bridge, the frame is *bridged* from its ingress port
// (net/bridge/br_netfilter_hooks.c br_nf_pre_routing_finish, "bridged_dnat" → br_handle_frame_finish),
// and the bridge never sends a frame back out the port it came in on unless that port has hairpin
// mode (net/bridge/br_forward.c should_deliver: `(p->flags & BR_HAIRPIN_MODE) || skb->dev != p->dev`).
// A routed frame (br_netfilter off) leaves from the bridge device itself (br_dev_xmit: skb->dev is
// the bridge), so hairpin mode does not matter. Both measured in test/lab/hairpin.test.ts.
import { cidrContains, formatIpv4, maskOf } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import { itemSaid } from '../model/said.ts';
import type { Said } from '../model/said.ts';
import type { HostNet } from './host-net.ts';
import { neighborOf, usableNeighbor } from './host-net.ts';
import { isLocalAddress } from './rpfilter.ts';
import { bridgeCallsIptables } from './kernel/sysctl.ts';

/** Where a pod's frames enter a bridge: recorded when the pod sends, read when the bridge forwards. */
export interface BridgeIngress {
  host: string;
  bridge: string;
  /** The sending pod's address: a frame to it goes back out the port it came in on. */
  podIp: Ipv4;
  /** The destination the frame arrived with, before PREROUTING. */
  arrivalDst?: Ipv4;
  /**
   * The pod sent the frame to its destination's own MAC, not the bridge's: the destination is on
   * the pod's link (onBridgeLink), so the bridge forwards the frame and the node does not route it.
   */
  onLink?: boolean;
}

type BridgeVerdict =
  | { deliver: true }
  | { deliver: false; port: string; detail: string; evidence: Said[] }
  | { deliver: 'unknown'; detail: string; evidence: Said[] };

/**
 * Whether a pod behind `bridge` sends to `dst` directly (ARP for `dst`, the frame to its MAC):
 * the bridge CNI plugin gives the pod an address in the subnet whose gateway address the bridge
 * holds, with the same prefix (plugins/main/bridge, host-local IPAM), so what lies in one of the
 * bridge's own prefixes, and is no address of the node, is on the pod's link.
 */
export function onBridgeLink(h: HostNet, bridge: string, dst: Ipv4): boolean {
  const own = h.addresses.get(bridge) ?? [];
  if (own.some((a) => a.local === dst)) return false;
  if (isLocalAddress(h, dst)) return false;
  return own.some((a) => {
    const c = { net: (a.net & maskOf(a.len)) >>> 0, len: a.len };
    // The subnet's own network and broadcast addresses are no pod's.
    return a.len < 31 && cidrContains(c, dst) && dst !== c.net && dst !== (c.net | ~maskOf(a.len)) >>> 0;
  });
}

/** Ports of `bridge` on `h` (devices whose master it is), in ifindex order. */
function ports(h: HostNet, bridge: string) {
  return h.linkOrder.filter((l) => l.master === bridge && l.slaveKind === 'bridge');
}

/**
 * The port a pod's MAC is learnt on: its neighbour entry on the bridge gives the MAC, the bridge's
 * forwarding database the port (`bridge fdb`: "<mac> dev <port> master <bridge>").
 */
export function podPort(h: HostNet, bridge: string, ip: Ipv4): { port: string; evidence: Said[] } | undefined {
  const n = neighborOf(h, bridge, ip);
  if (!usableNeighbor(n)) return undefined;
  const mac = n.lladdr.toLowerCase();
  const e = h.fdb.find((x) => x.mac === mac && x.master === bridge && !x.self);
  return e === undefined ? undefined : { port: e.dev, evidence: [itemSaid({ neighbor: n }), itemSaid({ fdb: e })] };
}

/**
 * Does the bridge deliver a frame it sends to the pod at `to` out of `bridge`? Only a frame
 * bridged back to the port it came in on can be refused: br_netfilter on, the destination
 * changed in PREROUTING, and the receiver the sender itself.
 */
export function bridgeDelivers(
  h: HostNet,
  bridge: string,
  ingress: BridgeIngress | undefined,
  to: Ipv4,
  dst: Ipv4,
): BridgeVerdict {
  if (ingress === undefined || ingress.host !== h.name || ingress.bridge !== bridge || ingress.podIp !== to)
    return { deliver: true };
  if (ingress.arrivalDst === undefined || ingress.arrivalDst === dst) return { deliver: true };
  const brnf = bridgeCallsIptables(h.state.sysctls);
  if (brnf.value !== 1) return { deliver: true };
  const found = podPort(h, bridge, to);
  const candidates = found !== undefined ? ports(h, bridge).filter((l) => l.name === found.port) : ports(h, bridge);
  const flags = new Set(candidates.map((l) => l.bridgePort?.hairpin));
  const why = `${formatIpv4(ingress.arrivalDst)} became ${formatIpv4(to)} in PREROUTING, routed back out ${bridge}: br_netfilter bridges the frame back toward the port it came in on`;
  if (candidates.length > 0 && flags.size === 1 && flags.has(true)) return { deliver: true };
  if (candidates.length > 0 && flags.size === 1 && flags.has(false)) {
    const port = candidates.length === 1 ? candidates[0]!.name : `the pod's port (every port of ${bridge})`;
    return {
      deliver: false,
      port: candidates.length === 1 ? candidates[0]!.name : '',
      detail: `${why}; ${port} has hairpin off, and a bridge never sends a frame back out its ingress port without it: dropped`,
      evidence: [...brnf.lines, ...(found?.evidence ?? []), ...candidates.map((link) => itemSaid({ link }))],
    };
  }
  return {
    deliver: 'unknown',
    detail: `${why}; whether its port has hairpin mode is not known: the ports of ${bridge} differ and no neighbour and fdb entry names the pod's (\`ip neigh show dev ${bridge}\` and \`bridge fdb show br ${bridge}\` on ${h.name} after the pod sent a packet, then collect again)`,
    evidence: [...brnf.lines, ...candidates.map((link) => itemSaid({ link }))],
  };
}
