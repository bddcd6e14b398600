// Which CNI (and its IPAM) and which kube-proxy mode the cluster runs, from the objects and the
// nodes' state. What is true of each CNI lives in its module (src/model/cni/); this file asks
// them. Each answer carries the facts it rests on, so a report can show why netcheck thinks so.
import { parse as parseYaml } from 'yaml';
import type { ClusterInfo } from './cluster.ts';
import { blockRanges } from './cni/calico.ts';
import { configMap, nodePodCidrs } from './cni/common.ts';
import { CNI_MODULES, tunnelOwner } from './cni/index.ts';
import type { CniModule, Detected, Encapsulation, Ipam, PodRange } from './cni/types.ts';
import { isIptablesNftTable } from './parse/nft.ts';
import type { HostState } from './types.ts';

export type { Detected, Encapsulation, PodRange } from './cni/types.ts';
export { configMap } from './cni/common.ts';

/** A CNI module's name, or `unknown`. */
export type CniKind = string;
export type ProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'ebpf' | 'none' | 'unknown';

export interface ClusterFlavour {
  cni: Detected<CniKind>;
  /** The module of the detected CNI; undefined when no module recognised the cluster. */
  module?: CniModule;
  /** Which IPAM hands out pod addresses, and so which per-node subnet source is authoritative. */
  ipam: Detected<string>;
  /** Every node's pod range(s), from the authoritative source. */
  podRanges: PodRange[];
  /** Pod addresses come from node.spec.podCIDR (it is a claim that must agree with the others). */
  usesNodePodCidr: boolean;
  encapsulation: Detected<Encapsulation>;
  proxy: Detected<ProxyMode>;
  /** The dataplane the CNI's agent programs, when its module knows (Calico: iptables, nftables, ebpf). */
  dataplane?: Detected<string>;
  /** Names of the tunnel devices pod traffic uses on the nodes (tunl0, vxlan.calico, flannel.1, cilium_vxlan). */
  tunnelDevices: string[];
}

function detectCni(cluster: ClusterInfo, hosts: readonly HostState[]): { module?: CniModule; cni: Detected<CniKind> } {
  for (const m of CNI_MODULES) {
    const because = m.detect(cluster, hosts);
    if (because.length > 0) return { module: m, cni: { value: m.name, because } };
  }
  return { cni: { value: 'unknown', because: [] } };
}

/**
 * Without a known CNI, pod ranges are whatever the cluster records: Calico blocks, else
 * node.spec.podCIDR (kubenet and the bridge plugin with host-local usePodCidr take it).
 */
function unknownIpam(cluster: ClusterInfo): Ipam {
  const blocks = blockRanges(cluster);
  return {
    mode: { value: 'unknown', because: [] },
    ranges: [...blocks, ...nodePodCidrs(cluster).filter((r) => !blocks.some((b) => b.cidr === r.cidr))],
    usesNodePodCidr: true,
  };
}

function nodeTunnels(hosts: readonly HostState[]): string[] {
  return [
    ...new Set(hosts.flatMap((h) => h.links.map((l) => l.name)).filter((n) => tunnelOwner(n) !== undefined)),
  ].sort();
}

function detectEncapsulation(
  module: CniModule | undefined,
  cluster: ClusterInfo,
  hosts: readonly HostState[],
): Detected<Encapsulation> {
  const configured = module?.encapsulation(cluster, hosts);
  if (configured !== undefined) return configured;
  for (const d of nodeTunnels(hosts))
    return { value: tunnelOwner(d)!.tunnels[d]!, because: [`${d} device on the nodes`] };
  return { value: 'unknown', because: [] };
}

/** kube-proxy's mode from its ConfigMap (KubeProxyConfiguration `mode`), else from the node state. */
function detectProxy(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<ProxyMode> {
  const because: string[] = [];
  for (const m of CNI_MODULES) {
    const r = m.replacesKubeProxy?.(cluster);
    if (r?.value === true) return { value: 'ebpf', because: r.because };
  }
  const kp = configMap(cluster, 'kube-proxy');
  const conf = kp?.data['config.conf'];
  if (conf !== undefined) {
    try {
      const doc = parseYaml(conf) as { mode?: unknown } | null;
      const mode = typeof doc?.mode === 'string' ? doc.mode : '';
      // An empty mode means iptables on Linux (k8s.io/kube-proxy config v1alpha1 defaults).
      because.push(`ConfigMap kube-proxy: mode: ${JSON.stringify(mode)}`);
      if (mode === '' || mode === 'iptables') return { value: 'iptables', because };
      if (mode === 'ipvs' || mode === 'nftables') return { value: mode, because };
    } catch {
      because.push('ConfigMap kube-proxy: config.conf is not YAML');
    }
  }
  if (hosts.some((h) => h.links.some((l) => l.name === 'kube-ipvs0') || h.ipvs.length > 0))
    return { value: 'ipvs', because: ['kube-ipvs0 device or IPVS services on the nodes'] };
  if (hosts.some((h) => h.nft?.tables.some((t) => t.name === 'kube-proxy' && !isIptablesNftTable(t)) === true))
    return { value: 'nftables', because: ['nftables table kube-proxy on the nodes'] };
  if (hosts.some((h) => h.iptables.some((rs) => rs.tables.get('nat')?.chains.has('KUBE-SERVICES') === true)))
    return { value: 'iptables', because: ['KUBE-SERVICES chain in the nat table'] };
  return { value: hosts.length > 0 ? 'none' : 'unknown', because };
}

export function detectFlavour(cluster: ClusterInfo, hosts: readonly HostState[]): ClusterFlavour {
  const { module, cni } = detectCni(cluster, hosts);
  const ipam = module?.ipam(cluster, hosts) ?? unknownIpam(cluster);
  const f: ClusterFlavour = {
    cni,
    ipam: ipam.mode,
    podRanges: ipam.ranges.filter((r) => r.node !== ''),
    usesNodePodCidr: ipam.usesNodePodCidr,
    encapsulation: detectEncapsulation(module, cluster, hosts),
    proxy: detectProxy(cluster, hosts),
    tunnelDevices: nodeTunnels(hosts),
  };
  if (module !== undefined) f.module = module;
  const dataplane = module?.dataplane?.(cluster, hosts);
  if (dataplane !== undefined) f.dataplane = dataplane;
  return f;
}
