// Facts several CNI modules read the same way: ConfigMaps, agent pods, node.spec.podCIDR, the CNI
// configuration the container runtime uses, and flannel's lease.
import { formatCidr4, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { ClusterInfo, ConfigMapInfo } from '../cluster.ts';
import type { CniConfig, CniPlugin, HostState } from '../types.ts';
import type { PodRange } from './types.ts';
import { K3S_CNI_CONF_DIR } from '../../snapshot/sections.ts';

export function configMap(cluster: ClusterInfo, name: string): ConfigMapInfo | undefined {
  return (
    cluster.configMaps.find(
      (c) =>
        c.name === name &&
        (c.namespace === 'kube-system' || c.namespace === 'kube-flannel' || c.namespace === 'calico-system'),
    ) ?? cluster.configMaps.find((c) => c.name === name)
  );
}

export function podsNamed(cluster: ClusterInfo, prefix: string): number {
  return cluster.pods.filter((p) => p.name.startsWith(prefix)).length;
}

/** node.spec.podCIDR(s), the controller-manager's allocation (--allocate-node-cidrs). */
export function nodePodCidrs(cluster: ClusterInfo): PodRange[] {
  return cluster.nodes.flatMap((n) =>
    n.podCIDRs.map((cidr) => ({ node: n.name, cidr, source: `Node ${n.name}: spec.podCIDR ${cidr}` })),
  );
}

/**
 * The network configuration the container runtime uses: the first file of its conf dir in
 * lexical order (libcni ConfFiles sorts them; containerd and CRI-O load the first). On k3s the
 * conf dir is k3s's own (K3S_CNI_CONF_DIR); a node with a configuration there runs k3s's
 * containerd, which never reads /etc/cni/net.d.
 */
export function activeCniConfig(h: HostState): CniConfig | undefined {
  const usable = [...h.cni].filter((c) => c.plugins.length > 0).sort((a, b) => (a.path < b.path ? -1 : 1));
  return usable.find((c) => c.path.startsWith(`${K3S_CNI_CONF_DIR}/`)) ?? usable[0];
}

/** The first plugin of `type` in any node's active configuration, with its file and node. */
export function cniPlugin(
  hosts: readonly HostState[],
  type: string,
): { plugin: CniPlugin; path: string; node: string } | undefined {
  for (const h of hosts) {
    const c = activeCniConfig(h);
    const p = c?.plugins.find((x) => x.type === type);
    if (p !== undefined) return { plugin: p, path: c!.path, node: h.name };
  }
  return undefined;
}

/** Each node's flannel lease: FLANNEL_SUBNET of /run/flannel/subnet.env, as a network. */
export function flannelLeases(hosts: readonly HostState[]): PodRange[] {
  const out: PodRange[] = [];
  for (const h of hosts) {
    const s = h.flannel?.subnet;
    const c = s === undefined ? undefined : parseCidr4(s);
    if (c !== undefined)
      out.push({ node: h.name, cidr: formatCidr4(c), source: `${h.name}:/run/flannel/subnet.env FLANNEL_SUBNET=${s}` });
  }
  return out;
}

/** The ranges of `primary`, plus those of `fallback` for nodes `primary` says nothing about. */
export function preferRanges(primary: readonly PodRange[], fallback: readonly PodRange[]): PodRange[] {
  const known = new Set(primary.map((r) => r.node));
  return [...primary, ...fallback.filter((r) => !known.has(r.node))];
}

/** The address part of an annotation value (`192.168.1.11/24` → `192.168.1.11`), if it is an IPv4 address. */
export function bareIpv4(addr: string | undefined): string | undefined {
  if (addr === undefined) return undefined;
  const a = addr.split('/')[0]!;
  return parseIpv4(a) !== undefined ? a : undefined;
}
