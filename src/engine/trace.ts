// What the engine returns: hop-by-hop traces ending in a verdict (docs/architecture.md "The engine").
import type { Ipv4 } from '../lib/ipv4.ts';
import type { SectionStatus } from '../model/provenance.ts';
import type { Said } from '../model/said.ts';

export type TraceVerdict = 'delivered' | 'dropped' | 'rejected' | 'no-route' | 'unknown';

export type HopStep =
  | 'enter'
  | 'prerouting'
  | 'conntrack'
  | 'route'
  | 'rp-filter'
  | 'forward'
  | 'input'
  | 'output'
  | 'postrouting'
  | 'bridge'
  | 'ipvs'
  | 'encapsulate'
  | 'decapsulate'
  | 'neighbor'
  | 'transmit'
  | 'deliver';

/**
 * Why a trace ended at a hop: what checks switch on, so the wording of `detail` may change freely
 * (after cilium-cli's check/result.go drop reasons). The last five mean the verdict is `unknown`.
 */
export type HopReason =
  | { kind: 'link-down' }
  | { kind: 'routing-loop' }
  /** The source is one of the host's own addresses, or otherwise impossible (ip_route_input_slow martian_source). */
  | { kind: 'martian-source' }
  /** fib_validate_source refused it; `looseHelps` is false when loose mode would refuse it too (no IPv4 address on the device). */
  | { kind: 'rp-filter'; looseHelps: boolean }
  | { kind: 'forwarding-disabled' }
  | { kind: 'no-route' }
  /** A blackhole, unreachable or prohibit route (or rule) decided. */
  | { kind: 'route-refused' }
  /** Locally generated with no source address to give it (inet_select_addr found none). */
  | { kind: 'no-source-address' }
  /** An iptables rule or chain policy; where it sits, so a fix names the right backend and table. */
  | { kind: 'netfilter-drop' | 'netfilter-reject'; at?: NetfilterPlace }
  /** An IPVS virtual server without real servers. */
  | { kind: 'ipvs-no-real-server' }
  /** No neighbour or forwarding entry for `nextHop` (the address the route sends to), when known. */
  | { kind: 'no-neighbor'; nextHop?: Ipv4 }
  /** Whether anything on the link answers ARP for the next hop is not in the snapshot (no shared subnet, no neighbour entry). */
  | { kind: 'neighbor-unknown' }
  | { kind: 'no-decapsulation' }
  /** Larger than the egress device's MTU with Don't Fragment set (ip_forward: ip_exceeds_mtu; ip_fragment: EMSGSIZE). */
  | { kind: 'mtu-exceeded'; mtu: number }
  /** A VXLAN frame whose inner destination MAC is not the receiving device's (eth_type_trans: PACKET_OTHERHOST). */
  | { kind: 'vtep-mac-mismatch' }
  /** The reply reached the client from another address or port than it called. */
  | { kind: 'reply-source-mismatch' }
  /** A line, route type or device netcheck does not model decided. */
  | { kind: 'not-modelled' }
  /** The packet leaves for a host netcheck did not probe (a router, a node missing from the snapshot). */
  | { kind: 'not-probed'; node: string }
  /** A decision needs a snapshot section of `node` that cannot be trusted (failed, absent, unparseable). */
  | { kind: 'data-missing'; node: string; section: string; status: SectionStatus }
  /** The node's datapath bypasses what netcheck walks (eBPF kube-proxy replacement, BPF masquerade, ...). */
  | { kind: 'datapath-not-modelled'; node: string; because: string[] };

/** Where in iptables a verdict was given. */
export interface NetfilterPlace {
  /** iptables-nft, iptables-legacy, or native nftables. */
  backend: 'nft' | 'legacy' | 'nftables';
  /** Native nftables: the table's family, and the handle of the rule that decided (none for a policy). */
  family?: string;
  handle?: number;
  table: string;
  chain: string;
  /** The line that decided, as collected: the rule's line, or the chain's header when its policy decided. */
  line: string;
  /** True when the chain's policy decided (no rule matched). */
  policy: boolean;
}

/**
 * What a hop did to the packet, as data: the report draws the path from it (report/segments.ts)
 * and never reads `detail`'s wording.
 */
export type HopEffect =
  /** A tunnel's packet arrived; `outer` is its encapsulation header ("VXLAN vni 1 A → B"). */
  | { kind: 'arrived-encapsulated'; outer: string }
  /** A route lookup sends it out of `dev` (to `via`); `rerouted`: again, after OUTPUT changed it. */
  | { kind: 'routed'; dev: string; via?: string; outer?: string; rerouted?: true }
  /** The route lookup says it is for this host. */
  | { kind: 'local' }
  /** Its addresses were rewritten: NAT in a hook, conntrack undoing NAT on a reply, an IPVS choice. */
  | { kind: 'rewritten'; what: string }
  /** It reached its receiver: "delivered to pod x". */
  | { kind: 'delivered'; what: string };

export interface Hop {
  node: string;
  device?: string;
  step: HopStep;
  /** One line saying what happened, with the addresses as they are at this point. */
  detail: Said;
  /** What decided this step: the parsed items (route, rule, neighbour, link) and raw lines (iptables, sysctl). */
  evidence: Said[];
  /** Set on the hop that ended a trace without delivery: why. */
  reason?: HopReason;
  /** What it did to the packet, where that is more than passing it on. */
  effect?: HopEffect;
}

export interface Trace {
  direction: 'forward' | 'reply';
  verdict: TraceVerdict;
  hops: Hop[];
  /** The addresses as the far end sees them (after every NAT on the way), when delivered. */
  seenAs?: { src: string; dst: string; sport?: number; dport?: number };
  /** Who received it: a node, a pod, or an external host. */
  deliveredTo?: string;
  /** The hop that decided a non-delivered verdict. */
  decisive?: Hop;
  /** Conditions of this branch (load-balancing choice, multipath next hop). */
  branch: string[];
}

/** A forward trace and the trace of its reply (absent when the forward one was not delivered). */
export interface FlowResult {
  forward: Trace;
  reply?: Trace;
}
