// Calico (projectcalico/calico). Devices: tunl0 (IPIP) and vxlan.calico (VXLAN) from felix, cali*
// veths from the CNI plugin. IPAM: with `calico-ipam` (the manifests' default) pods get addresses
// from /26 blocks of the IPPools, affine to a node (BlockAffinity); node.spec.podCIDR, which
// kubeadm's --pod-network-cidr makes the controller-manager allocate anyway, is ignored. With
// `host-local` and `"subnet": "usePodCidr"` the plugin takes node.spec.podCIDR instead (Calico docs,
// "Configure IP address management": host-local IPAM).
import { createHash } from 'node:crypto';
import { inCidr } from '../../lib/ipv4.ts';
import type { ClusterInfo, NodeInfo } from '../cluster.ts';
import type { HostState, IpSet } from '../types.ts';
import { felixDataplane, felixWireguard } from './calico-felix.ts';
import { bareIpv4, cniPlugin, configMap, nodePodCidrs, podsNamed } from './common.ts';
import type { CniModule, Detected, Encapsulation, Ipam, PodRange } from './types.ts';

function detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[] {
  const because: string[] = [];
  if (cluster.ipPools.length > 0) because.push(`${cluster.ipPools.length} Calico IPPool(s)`);
  if (podsNamed(cluster, 'calico-node') > 0) because.push('calico-node pods');
  if (configMap(cluster, 'calico-config') !== undefined) because.push('ConfigMap calico-config');
  const withPlugin = hosts.filter((h) => h.cni.some((c) => c.plugins.some((p) => p.type === 'calico')));
  if (withPlugin.length > 0)
    because.push(
      `calico CNI plugin in ${withPlugin[0]!.cni.find((c) => c.plugins.some((p) => p.type === 'calico'))!.path} on ${withPlugin.map((h) => h.name).join(', ')}`,
    );
  return because;
}

function encapsulation(cluster: ClusterInfo): Detected<Encapsulation> | undefined {
  const active = cluster.ipPools.filter((p) => !p.disabled);
  if (active.length === 0) return undefined;
  const because = active.map((p) => `IPPool ${p.name}: ipipMode ${p.ipipMode}, vxlanMode ${p.vxlanMode}`);
  const ipip = active.some((p) => p.ipipMode !== 'Never');
  const vxlan = active.some((p) => p.vxlanMode !== 'Never');
  return { value: ipip ? 'ipip' : vxlan ? 'vxlan' : 'none', because };
}

/** Confirmed BlockAffinities: the /26 (blockSize) blocks calico-ipam allocates from on each node. */
export function blockRanges(cluster: ClusterInfo): PodRange[] {
  return cluster.blockAffinities
    .filter((b) => b.state === undefined || b.state === 'confirmed')
    .map((b) => ({ node: b.node, cidr: b.cidr, source: `BlockAffinity ${b.node}: cidr ${b.cidr}` }));
}

/** The IPAM of Calico's CNI plugin, from the conflist the runtime uses (the ipam type). */
export function calicoPluginIpam(cluster: ClusterInfo, hosts: readonly HostState[]): Ipam {
  const found = cniPlugin(hosts, 'calico');
  const type = found?.plugin.ipamType;
  const where = found !== undefined ? `${found.node}:${found.path}` : '';
  if (type === 'host-local') {
    const subnets = found!.plugin.ipamSubnets;
    if (subnets.includes('usePodCidr'))
      return {
        mode: { value: 'host-local (usePodCidr)', because: [`${where}: ipam host-local, subnet usePodCidr`] },
        ranges: nodePodCidrs(cluster),
        usesNodePodCidr: true,
      };
    return {
      mode: { value: 'host-local', because: [`${where}: ipam host-local, subnet ${subnets.join(', ') || '(none)'}`] },
      ranges: [],
      usesNodePodCidr: false,
    };
  }
  if (type === 'calico-ipam' || (type === undefined && cluster.blockAffinities.length > 0))
    return {
      mode: {
        value: 'calico-ipam',
        because: [
          type !== undefined ? `${where}: ipam calico-ipam` : 'BlockAffinities (no Calico CNI configuration collected)',
        ],
      },
      ranges: blockRanges(cluster),
      usesNodePodCidr: false,
    };
  return {
    mode: {
      value: type ?? 'unknown',
      because: [type !== undefined ? `${where}: ipam ${type}` : 'no Calico CNI configuration and no BlockAffinity'],
    },
    ranges: [],
    usesNodePodCidr: false,
  };
}

/**
 * The host-side device Calico's CNI plugin makes for a pod: "cali" + the first 11 hex digits of
 * SHA-1("<namespace>.<name>") (libcalico-go conversion.VethNameForWorkload).
 */
export function calicoVethName(pod: string): string | undefined {
  const slash = pod.indexOf('/');
  if (slash < 0) return undefined;
  return `cali${createHash('sha1')
    .update(`${pod.slice(0, slash)}.${pod.slice(slash + 1)}`)
    .digest('hex')
    .slice(0, 11)}`;
}

/** projectcalico.org/IPv4Address: what felix puts in the all-hosts ipsets and BIRD uses as next hop. */
export function calicoUnderlay(n: NodeInfo): { ip: string; source: string } | undefined {
  const ip = bareIpv4(n.calicoIPv4);
  return ip === undefined
    ? undefined
    : { ip, source: `Node ${n.name}: annotation projectcalico.org/IPv4Address=${n.calicoIPv4}` };
}

/** The IPPool a pod address is in decides whether felix masquerades it (natOutgoing). */
function masqueradeConfig(cluster: ClusterInfo, podIp: string): string[] {
  return cluster.ipPools
    .filter((p) => inCidr(podIp, p.cidr))
    .map((p) => `IPPool ${p.name} (${p.cidr}): natOutgoing: ${p.natOutgoing}`);
}

/**
 * felix's allow-lists of cluster hosts, by encapsulation (felix/ipsets: IPSetIDAllHostNets,
 * IPSetIDAllVXLANSourceNets): "-m set ! --match-set cali40all-hosts-net src -j DROP" on the tunnel
 * protocol.
 */
const ALLOW_LISTS = {
  ipip: ['cali40all-hosts-net', 'cali40all-hosts'],
  vxlan: ['cali40all-vxlan-net', 'cali40all-hosts-net'],
} as const;

function tunnelAllowList(h: HostState, kind: 'ipip' | 'vxlan'): IpSet | undefined {
  for (const name of ALLOW_LISTS[kind]) {
    const s = h.ipsets.find((x) => x.name === name);
    if (s !== undefined) return s;
  }
  return undefined;
}

export const calico: CniModule = {
  name: 'calico',
  detect,
  podDevice: calicoVethName,
  encryptedUnderlay: felixWireguard,
  underlay: calicoUnderlay,
  tunnels: { tunl0: 'ipip', 'vxlan.calico': 'vxlan' },
  dataplane: felixDataplane,
  encapsulation,
  ipam: calicoPluginIpam,
  masqueradeConfig,
  tunnelAllowList,
  // The calico CNI plugin's fixed default route in every pod (cni-plugin/internal/pkg/utils/network_linux.go).
  podGateway: '169.254.1.1',
  networkPolicy: {
    enforces: true,
    ipBlockMatchesPods: true,
    how: 'felix renders each NetworkPolicy into iptables chains cali-pi-*/cali-po-* jumped to from the pod interface chains cali-tw-*/cali-fw-* (nftables mode: the same chains as filter-cali-* in table ip calico; eBPF mode: BPF programs); ipBlock is matched by address, pod addresses included',
  },
};
