// What netcheck knows about one CNI, behind one interface: how to tell the cluster runs it, the
// devices it creates, how pod traffic crosses nodes, which IPAM hands out pod addresses (and so
// which per-node subnet source is authoritative), and the configuration keys it renamed by
// version. One file per CNI in this folder, registered in index.ts (docs/design-notes.md,
// "Adding a CNI").
import type { ClusterInfo, NodeInfo } from '../cluster.ts';
import type { HostState, IpSet } from '../types.ts';

/** How pod traffic crosses nodes: an overlay, or plain routing (BGP / native routing / host-gw). */
export type Encapsulation = 'ipip' | 'vxlan' | 'none' | 'unknown';

export interface Detected<T> {
  value: T;
  /** The facts behind the answer, e.g. `ConfigMap kube-system/kube-proxy: mode: ipvs`. */
  because: string[];
}

/** A node's pod address range, from the source the CNI's IPAM really allocates from. */
export interface PodRange {
  node: string;
  cidr: string;
  /** The object field or file that says so, as evidence. */
  source: string;
}

export interface Ipam {
  /** e.g. `calico-ipam`, `host-local (usePodCidr)`, `kubernetes`, `cluster-pool`; `unknown` when not known. */
  mode: Detected<string>;
  /** Every node's pod range(s) from the authoritative source; empty when it is not known. */
  ranges: PodRange[];
  /**
   * Whether pod addresses come from node.spec.podCIDR (then it must agree with the node's other
   * subnet sources). false: the IPAM ignores it (Calico IPAM, Cilium cluster-pool), so a podCIDR
   * the controller-manager allocated anyway (kubeadm --pod-network-cidr) is no claim at all.
   */
  usesNodePodCidr: boolean;
}

/** A configuration key the running version does not read, next to the key it does. */
export interface IgnoredKey {
  /** Where the keys live, e.g. `ConfigMap kube-system/cilium-config`. */
  where: string;
  old: string;
  oldValue: string;
  current: string;
  /** The current key's value, or undefined when it is not set. */
  currentValue?: string;
  /** The value the running version uses (the current key's, or its default). */
  effective: string;
  /** The running version and how it is known. */
  version: Detected<string>;
  /** One sentence: why the old key does not count. */
  why: string;
  fix: string;
}

/**
 * An encrypted way its pod traffic crosses nodes, from its configuration: WireGuard (UDP to the
 * port its agent listens on) or IPsec (ESP, IP protocol 50), with the setting that says so.
 */
export type EncryptedUnderlay = { kind: 'wireguard'; port: number; because: string } | { kind: 'esp'; because: string };

export interface CniModule {
  /** Shown in the cluster line and `-o json` (`cni`). */
  name: string;
  /** Facts showing the cluster runs this CNI; empty when nothing does. */
  detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[];
  /** Modules this one is made of (Canal: calico and flannel); when detected, it stands for them. */
  combines?: readonly string[];
  /** Tunnel devices it creates, by their fixed names (felix, flanneld, cilium-agent). */
  tunnels: Readonly<Record<string, Encapsulation>>;
  /**
   * The host-side device its CNI plugin makes for a pod (`namespace/name`), when the name is
   * derived from the pod; undefined otherwise (the node's route to the pod then says).
   */
  podDevice?(pod: string): string | undefined;
  /**
   * The underlay address its peers know a node by, from the annotation the CNI writes (what
   * felix puts in its all-hosts ipsets, flannel's public-ip), with that annotation as evidence.
   */
  underlay?(node: NodeInfo): { ip: string; source: string } | undefined;
  /** The encrypted encapsulations its configuration turns on; empty when none. */
  encryptedUnderlay?(cluster: ClusterInfo): EncryptedUnderlay[];
  /** Whether its eBPF datapath replaces kube-proxy (then kube-proxy's own mode does not matter). */
  replacesKubeProxy?(cluster: ClusterInfo): Detected<boolean>;
  /** Which dataplane its agent programs (felix: iptables, nftables, ebpf), when the cluster says. */
  dataplane?(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<string> | undefined;
  /** How its pod traffic crosses nodes, when its configuration says; undefined: ask the devices. */
  encapsulation(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<Encapsulation> | undefined;
  ipam(cluster: ClusterInfo, hosts: readonly HostState[]): Ipam;
  /** Renamed configuration keys whose ignored name disagrees with the effective value. */
  ignoredKeys?(cluster: ClusterInfo): IgnoredKey[];
  /**
   * The configuration behind source NAT of pod `podIp`'s traffic leaving `node` (whose state is
   * `host`), as `object: key: value` lines; empty when this CNI has none in the cluster.
   */
  masqueradeConfig?(cluster: ClusterInfo, podIp: string, node: string, host: HostState | undefined): string[];
  /**
   * The ipset of cluster hosts its agent accepts `kind` tunnel traffic from on `host` (outer
   * sources outside it are dropped), when the host has one.
   */
  tunnelAllowList?(host: HostState, kind: 'ipip' | 'vxlan'): IpSet | undefined;
  /** The gateway its routed pods use, answered by proxy ARP on their host-side device (Calico: 169.254.1.1). */
  podGateway?: string;
  /**
   * Parts of the nodes' datapath its eBPF programs take over from the kernel paths and iptables
   * rules the engine walks (Services, masquerading, host filtering), each quoted as
   * `config: key: value (what)`; empty when none. Walking such a node through its iptables alone
   * would give answers that look sure and are not.
   */
  unmodelledDatapath?(cluster: ClusterInfo): string[];
  /** How it enforces Kubernetes NetworkPolicy. */
  networkPolicy: PolicyEnforcement;
}

/** Whether and where a CNI enforces NetworkPolicy, as far as the NetworkPolicy evaluator needs it. */
export interface PolicyEnforcement {
  enforces: boolean;
  /** Whether an ipBlock matches pod addresses too (the API leaves it to the implementation). */
  ipBlockMatchesPods?: boolean;
  /** One sentence with the source: what it does with the policies. */
  how: string;
}
