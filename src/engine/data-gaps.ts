// State a decision needs and the snapshot does not vouch for. An empty list parsed from a section
// that failed, is absent or could not be parsed means "not seen", never "none" (model/provenance.ts):
// a decision resting on it ends the trace as unknown, naming the node, the section, its status and
// how to collect it. Each decision names the sections it reads here, in one place.
import { said } from '../model/said.ts';
import type { Said } from '../model/said.ts';
import { describeStatus, howToCollect, statusOf, usable } from '../model/provenance.ts';
import type { HostState } from '../model/types.ts';
import type { HopReason } from './trace.ts';

export type DataMissing = Extract<HopReason, { kind: 'data-missing' }>;

/** The sections behind each kind of decision the walk makes on a host. */
export const NEEDS = {
  /** Devices (kind, state, tunnel parameters, bridge ports) and addresses: arrival, source selection, locality. */
  links: ['ip-addr'],
  /** fib_lookup: every table, and the policy rules that choose among them. */
  routing: ['ip-route', 'ip-rule'],
  /** Forwarding, rp_filter, accept_local, route_localnet, proxy_arp. */
  sysctl: ['sysctl'],
  /** A netfilter hook: both iptables backends, and native nftables chains that may hook alongside. */
  netfilter: ['iptables-nft-save', 'iptables-legacy-save', 'nft'],
  /** The sets an iptables rule's `-m set --match-set` reads. */
  ipsets: ['ipset'],
  /** IPVS virtual servers (local delivery on a node where kube-proxy runs IPVS). */
  ipvs: ['ipvsadm'],
  /** VXLAN: the neighbour entry of the next hop and the forwarding entry of its MAC. */
  neighbours: ['ip-neigh', 'bridge-fdb'],
} as const satisfies Record<string, readonly string[]>;

/** The first of `sections` that `host` cannot vouch for, as the reason of an unknown hop; undefined when all are usable. */
export function missingSection(host: HostState, sections: readonly string[]): DataMissing | undefined {
  for (const section of sections) {
    const status = statusOf(host.provenance, section);
    if (!usable(status)) return { kind: 'data-missing', node: host.name, section, status };
  }
  return undefined;
}

/** "cannot tell <decision> on node-c: sysctl could not be collected (sysctl: not found)" */
export function describeMissing(m: DataMissing, decision: Said): Said {
  return said`cannot tell ${decision} on ${m.node}: ${describeStatus(m.section, m.status)}`;
}

/** The evidence line of an unknown hop: what to collect to decide it. */
export function collectHint(m: DataMissing): string {
  return `to decide it, collect ${howToCollect(m.section)} ${m.node}`.replace(/on the node (\S+)$/, 'on $1');
}

/**
 * ipvsadm's answer on a kernel without IPVS: libipvs ipvs_init() finds neither the IPVS generic
 * netlink family nor /proc/net/ip_vs and reports ENOPROTOOPT. That failure is a fact, not a gap:
 * no virtual server can take a packet on this host.
 */
const NO_IPVS_IN_KERNEL = /Can't initialize ipvs: Protocol not available/;

/** The IPVS decision's gap on `host`, if any; a kernel without IPVS is no gap (there is nothing to take the packet). */
export function ipvsGap(host: HostState): DataMissing | undefined {
  const gap = missingSection(host, NEEDS.ipvs);
  return gap?.status.state === 'failed' && NO_IPVS_IN_KERNEL.test(gap.status.reason) ? undefined : gap;
}
