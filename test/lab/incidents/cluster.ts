// A small Kubernetes cluster declared once, and turned into two things that must agree: the lab
// (network namespaces built by the harness: nodes on an underlay LAN with a router and a LAN
// host, pods attached the way the CNI plugin attaches them, the overlay the CNI programs) and the
// API objects a snapshot carries (Nodes, Pods, Services, EndpointSlices, CNI resources and
// ConfigMaps, see objects.ts). An incident is the healthy declaration with one thing changed.
//
// CNI flavours:
//  - calico-vxlan: Calico in VXLAN mode as felix programs it (felix/dataplane/linux/vxlan_mgr.go):
//    vxlan.calico (VNI 4096, port 4789) carrying the node's tunnel address (the first address of
//    its block), `<block> via <peer tunnel addr> dev vxlan.calico onlink proto 80`, a permanent
//    neighbour and an fdb entry per peer, `blackhole <own block> proto 80`; pods on cali* veths
//    (/32 route, proxy ARP for 169.254.1.1). The incidents of docs/incidents.md happened with Calico
//    IPIP (tunl0); this kernel has no IPIP, so they are reproduced with the VXLAN mode, which puts
//    the same decisions (tunnel device rp_filter, tunnel route next hop, outer source address)
//    on vxlan.calico.
//  - cilium-native: Cilium with native routing (tunnel: disabled, auto-direct-node-routes) and
//    iptables masquerading (CILIUM_POST_nat); the LAN router learns each node's pod CIDR (BGP).
//    Pods sit on lxc* veths; Cilium's BPF answers ARP on them, modelled here with proxy ARP.
//  - calico-ipip: Calico with an IPIP pool (IPPool ipipMode Always, BGP routes). This kernel has no
//    IPIP driver ("Unknown device type" for `ip link add … type ipip`), so the packets are carried
//    by the VXLAN stand-in of calico-vxlan (vxlan.calico and felix's VXLAN rules); the objects are
//    those of an IPIP install (pool modes, IPv4IPIPTunnelAddr, calico_backend: bird).
//  - canal: flannel's VXLAN backend (flannel.1, VNI 1, port 8472) for routing, Calico's CNI plugin
//    for the pods (cali* veths, host-local IPAM with the subnet written into the conflist).
//  - flannel: flannel's VXLAN backend and its CNI plugin, which delegates to the bridge plugin with
//    a host-local range from subnet.env: pods on cni0 (the first address of the node's subnet
//    is the bridge's, the pods' gateway), br_netfilter on as kubeadm requires. `k3s` is the
//    flannel k3s embeds: no kube-flannel or kube-proxy ConfigMap, its conflist under
//    /var/lib/rancher/k3s/agent/etc/cni/net.d (k3s's containerd conf_dir).
//  - kube-router: daemonset/kubeadm-kuberouter.yaml (cloudnativelabs/kube-router 7c2c2779): --run-router
//    and --run-firewall, kube-proxy kept (--run-service-proxy=false). Pods on kube-bridge (the bridge
//    plugin, host-local ranges holding node.spec.podCIDR as the routing controller writes them);
//    nodes on one subnet, so every peer's pod CIDR is a direct route `via <peer> proto 17` (zebra,
//    injectRoute) and no tun-* tunnel exists; kube-router's FORWARD accepts for kube-bridge and its
//    pod-egress masquerade (routing/pod_egress.go) with the ipsets they match; its NetworkPolicy
//    chains for every local pod and policy (kube-router-policy.ts).
import { felixPolicy } from './felix-policy.ts';
import type { NetworkPolicyDecl } from './felix-policy.ts';
import {
  bridgePod,
  calicoPod,
  flannelVxlan,
  lanHost,
  lanSegment,
  mergeLabs,
  node,
  router,
  vethName,
} from '../harness/index.ts';
import type { HostOptions, Lab, SegmentPort } from '../harness/index.ts';
import { parseCidr4, formatIpv4 } from '../../../src/lib/ipv4.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { kubeProxyIptables } from './kube-proxy.ts';
import { kubeRouterPolicy } from './kube-router-policy.ts';

export type Cni = 'calico-vxlan' | 'calico-ipip' | 'cilium-native' | 'canal' | 'flannel' | 'kube-router';

export interface Nic {
  dev: string;
  /** Address with prefix length, e.g. 192.168.1.11/24. */
  addr: string;
  segment: string;
}

export interface NodeDecl {
  name: string;
  nics: Nic[];
  /**
   * The address the cluster knows the node by: its InternalIP, Calico's projectcalico.org/IPv4Address,
   * flannel's public-ip, and the VTEP its peers send to.
   */
  ip: string;
  /** The node's pod range: Calico block (BlockAffinity), Cilium/flannel node.spec.podCIDR. */
  podCidr: string;
  /** MAC of the node's VXLAN device (Calico VtepMAC / flannel VtepMAC). */
  vtepMac: string;
  controlPlane?: boolean;
}

export interface PodDecl {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  app: string;
  port: number;
  image: string;
}

export interface ServiceDecl {
  namespace: string;
  name: string;
  app: string;
  clusterIP: string;
  port: number;
  targetPort: number;
  protocol: 'TCP' | 'UDP';
  portName: string;
  externalIPs?: string[];
  /** Type NodePort with this node port. */
  nodePort?: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
}

export interface LanHostDecl {
  name: string;
  /** Address with prefix length. */
  addr: string;
  segment: string;
  gateway: string;
}

export interface RouterDecl {
  name: string;
  nics: Nic[];
  routes: string[];
}

export interface ClusterDecl {
  /** Example name (examples/<name>.json). */
  name: string;
  cni: Cni;
  /** LAN segments, each one switch (a bridge in its own namespace). */
  segments: { name: string; cidr: string }[];
  router: RouterDecl;
  lanHosts: LanHostDecl[];
  nodes: NodeDecl[];
  pods: PodDecl[];
  services: ServiceDecl[];
  /** Calico IPPool / Cilium cluster-pool / flannel Network. */
  podNetwork: string;
  serviceCidr: string;
  kubeProxyMode: 'iptables' | 'ipvs';
  /** The backend kube-proxy writes through (default: the CNI's, iptables-nft). */
  kubeProxyBackend?: 'nft' | 'legacy';
  /**
   * kube-proxy started without --cluster-cidr (clusterCIDR unset): it then marks no ClusterIP
   * traffic for masquerade (proxier.go writes the `! -s <clusterCIDR>` KUBE-MARK-MASQ rule only with it).
   */
  kubeProxyNoClusterCidr?: boolean;
  calico?: {
    natOutgoing: boolean;
    /**
     * Create vxlan.calico with `local <node ip> dev <its nic>`. Without it the kernel picks the
     * outer source by routing, as it does for Calico's IPIP tunl0 (which has no local address).
     */
    vxlanLocal: boolean;
    /**
     * With vxlanLocal false: still bind vxlan.calico to the node's NIC (`dev <nic>`, no `local`),
     * as a device created on the autodetected interface without a source address.
     */
    vxlanDevOnly?: boolean;
  };
  cilium?: { config: Record<string, string> };
  /**
   * `hairpinMode`: the bridge plugin's (flannel's delegate) setting, true in kube-flannel's and
   * k3s's conflists: each pod's cni0 port gets hairpin mode (plugins/main/bridge setupVeth).
   */
  flannel?: { k3s?: boolean; hairpinMode?: boolean };
  /**
   * Per node: node.spec.podCIDR when the controller-manager allocated one that is not the CNI's
   * range (kubeadm --pod-network-cidr beside Calico IPAM or Cilium cluster-pool, which ignore it).
   */
  nodePodCidrs?: Record<string, string>;
  /** The CNI agent's image: one host-network agent pod per node is listed (its tag is the running release). */
  agentImage?: string;
  /**
   * `hairpinMode`: the bridge plugin's setting in kube-router-cfg's cni-conf.json: unset (false) in
   * daemonset/kubeadm-kuberouter.yaml, true in the *-all-features manifests and what kube-router's
   * user guide (docs/user-guide.md, Hairpin Mode) asks for.
   */
  kubeRouter?: { hairpinMode?: boolean };
  /** The agent container's args (the DaemonSet's, e.g. kube-router's --run-service-proxy=false). */
  agentArgs?: string[];
  canal?: {
    /** Per node: the subnet written into the CNI conflist's host-local IPAM, when not the node's podCidr. */
    cniSubnet?: Record<string, string>;
  };
  /** Nodes where Docker is also installed: it sets the FORWARD policy to DROP (moby libnetwork iptables.go). */
  dockerNodes?: string[];
  /** Host settings merged into the generated lab (an incident's sysctl, say). */
  tweaks?: Lab;
  /** Neighbour and fdb entries on `host` that give `peer`'s VTEP a MAC that is not its device's (a stale entry). */
  staleVtepMacs?: { host: string; peer: string; mac: string }[];
  /** Kubernetes NetworkPolicies; on Calico, felix renders them for the pods they select (felix-policy.ts). */
  networkPolicies?: NetworkPolicyDecl[];
  /**
   * MTU of the pods' veths (both ends). Default: the installer's — the tunnel's 1450 on the
   * overlays (Calico's veth_mtu auto-detection, flannel's FLANNEL_MTU from subnet.env, Canal's
   * conflist mtu), 1500 on Cilium's native routing.
   */
  podMtu?: number;
  /** Generated route lines replaced (to: null removes the route). */
  routeEdits?: { host: string; from: string; to: string | null }[];
}

export const VXLAN_CALICO = 'vxlan.calico';
export const CALICO_VNI = 4096;
export const CALICO_VXLAN_PORT = 4789;

export function switchName(segment: string): string {
  return `${segment}-sw`;
}

export function addrOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

/** The network address of a CIDR: Calico gives a node's vxlan.calico the first address of its block. */
export function networkOf(cidr: string): string {
  const c = parseCidr4(cidr);
  if (c === undefined) throw new Error(`not a CIDR: ${cidr}`);
  return formatIpv4(c.net);
}

/** Calico's tunnel address of a node (IPv4VXLANTunnelAddr); flannel's flannel.1 address is the same. */
export function tunnelIp(n: NodeDecl): string {
  return networkOf(n.podCidr);
}

/** host-local's first address of a subnet: the gateway flannel writes as FLANNEL_SUBNET (10.1.3.1/24). */
export function firstHost(cidr: string): string {
  const c = parseCidr4(cidr);
  if (c === undefined) throw new Error(`not a CIDR: ${cidr}`);
  return `${formatIpv4((c.net + 1) >>> 0)}/${c.len}`;
}

/** The interface name the CNI plugin gives a pod's host-side veth (Calico: cali + sha1("ns.name")[:11]). */
export function podHostIf(d: ClusterDecl, p: PodDecl): string {
  const prefix = d.cni === 'cilium-native' ? 'lxc' : isBridged(d) ? 'veth' : 'cali';
  return vethName(prefix, `${p.namespace}.${p.name}`);
}

/** Calico in either pool mode (IPIP runs on the VXLAN stand-in here). */
export function isCalico(d: ClusterDecl): boolean {
  return d.cni === 'calico-vxlan' || d.cni === 'calico-ipip';
}

/** flannel routes the pod network (flannel alone, or Canal). */
export function isFlannel(d: ClusterDecl): boolean {
  return d.cni === 'flannel' || d.cni === 'canal';
}

/** Pods are ports of a bridge the bridge plugin made (flannel's cni0, kube-router's kube-bridge). */
export function isBridged(d: ClusterDecl): boolean {
  return d.cni === 'flannel' || d.cni === 'kube-router';
}

/** Lab host name of a pod: its name (pod names are unique in these clusters). */
export function podHost(p: PodDecl): string {
  return p.name;
}

export function nodeOf(d: ClusterDecl, name: string): NodeDecl {
  const n = d.nodes.find((x) => x.name === name);
  if (n === undefined) throw new Error(`${d.name}: no node ${name}`);
  return n;
}

export function podOf(d: ClusterDecl, name: string): PodDecl {
  const p = d.pods.find((x) => x.name === name);
  if (p === undefined) throw new Error(`${d.name}: no pod ${name}`);
  return p;
}

/** The nic that carries the node's registered address. */
function primaryNic(n: NodeDecl): Nic {
  const nic = n.nics.find((x) => addrOf(x.addr) === n.ip) ?? n.nics[0];
  if (nic === undefined) throw new Error(`node ${n.name} has no nic`);
  return nic;
}

function routerAddrOn(d: ClusterDecl, segment: string): string {
  const nic = d.router.nics.find((x) => x.segment === segment);
  if (nic === undefined) throw new Error(`${d.name}: the router has no leg on ${segment}`);
  return addrOf(nic.addr);
}

/** The node's default route: the router on the segment of its first nic. */
function defaultRoute(d: ClusterDecl, n: NodeDecl): string {
  const nic = n.nics[0]!;
  return `default via ${routerAddrOn(d, nic.segment)} dev ${nic.dev}`;
}

// ------------------------------------------------------------------------------------ iptables

/** Endpoints of a service: its selected pods, or (the `kubernetes` service) the API servers. */
export function serviceEndpoints(d: ClusterDecl, s: ServiceDecl): { ip: string; node: string; pod?: PodDecl }[] {
  if (s.app === '') return d.nodes.filter((n) => n.controlPlane === true).map((n) => ({ ip: n.ip, node: n.name }));
  return d.pods
    .filter((p) => p.app === s.app && p.namespace === s.namespace)
    .map((p) => ({ ip: p.ip, node: p.node, pod: p }));
}

/** One table's share of a ruleset: chain declarations and rules. */
interface TableParts {
  chains: string[];
  rules: string[];
}
interface IptablesParts {
  nat: TableParts;
  filter: TableParts;
}

/** iptables-restore input from the parts of each writer (CNI first: felix inserts its jumps at the top). */
function iptablesText(parts: readonly IptablesParts[]): string {
  const table = (head: string[], t: 'nat' | 'filter') => {
    const p = parts.map((x) => x[t]);
    const declared = p.flatMap((x) => x.chains);
    const name = (l: string) => l.split(' ')[0];
    // A writer may set a built-in chain's policy (Docker: `:FORWARD DROP`): its line replaces the default.
    const builtins = head.map((l) => declared.find((c) => name(c) === name(l)) ?? l);
    return [
      ...builtins,
      ...declared.filter((c) => !head.some((l) => name(l) === name(c))),
      ...p.flatMap((x) => x.rules),
      'COMMIT',
    ];
  };
  return [...table(NAT_HEAD, 'nat'), ...table(FILTER_HEAD, 'filter'), ''].join('\n');
}

/**
 * Every writer's rules on a node: the CNI's, then kube-proxy's (iptables mode) — felix inserts
 * its jumps at the top; flannel appends its masquerade rules (network/ipmasq.go AppendUnique)
 * after kube-proxy's, which started first, so kube-proxy's come first there (real kubeadm +
 * flannel nodes list KUBE-POSTROUTING before flannel's RETURN). kube-proxy's through
 * iptables-legacy when the declaration says so (a split between backends).
 */
function nodeIptables(d: ClusterDecl, n: NodeDecl, cni: IptablesParts): { iptables: string; iptablesLegacy?: string } {
  if (d.kubeProxyMode !== 'iptables') return { iptables: iptablesText([cni]) };
  const kubeProxy = kubeProxyIptables(d, n.name, (s) => serviceEndpoints(d, s));
  if (d.kubeProxyBackend === 'legacy')
    return { iptables: iptablesText([cni]), iptablesLegacy: iptablesText([kubeProxy]) };
  // kube-router inserts its FORWARD rules at position 1 and appends its masquerade (enableForwarding, createPodEgressRule).
  if (d.cni === 'kube-router') {
    const none = { chains: [], rules: [] };
    return { iptables: iptablesText([{ nat: none, filter: cni.filter }, kubeProxy, { nat: cni.nat, filter: none }]) };
  }
  return { iptables: iptablesText(isFlannel(d) ? [kubeProxy, cni] : [cni, kubeProxy]) };
}

const NAT_HEAD = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
];
const FILTER_HEAD = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];

/** What dockerd adds to the filter table (moby libnetwork/drivers/bridge/setup_ip_tables_linux.go), FORWARD policy DROP aside. */
const DOCKER_CHAINS = [
  ':FORWARD DROP [0:0]',
  ':DOCKER - [0:0]',
  ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
  ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
  ':DOCKER-USER - [0:0]',
];
const DOCKER_FILTER = [
  '-A FORWARD -j DOCKER-USER',
  '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
  '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  '-A FORWARD -o docker0 -j DOCKER',
  '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
  '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
  '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
  '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
  '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
  '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
  '-A DOCKER-USER -j RETURN',
];

/**
 * Felix's rules that matter here (felix/rules/static.go): VXLAN is accepted only from the hosts in
 * cali40all-vxlan-net and dropped from anyone else; with natOutgoing on the pool, traffic from the
 * pools to anything outside them is masqueraded (cali-nat-outgoing).
 */
export function calicoIptables(d: ClusterDecl, n: NodeDecl): IptablesParts {
  const nat = ['-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING'];
  nat.push('-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-nat-outgoing');
  if (d.calico?.natOutgoing === true) {
    nat.push(
      '-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully',
    );
  }
  const docker = d.dockerNodes?.includes(n.name) === true;
  const filter = [
    ...(docker ? DOCKER_FILTER : []),
    '-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT',
    `-A cali-INPUT -p udp -m comment --comment "cali:J76FwxInZIsk7uKY" -m comment --comment "Allow IPv4 VXLAN packets from allowed hosts" -m multiport --dports ${CALICO_VXLAN_PORT} -m set --match-set cali40all-vxlan-net src -m addrtype --dst-type LOCAL -j ACCEPT`,
    `-A cali-INPUT -p udp -m comment --comment "cali:4cgmbdWsLmozYhJh" -m comment --comment "Drop IPv4 VXLAN packets from non-allowed hosts" -m multiport --dports ${CALICO_VXLAN_PORT} -m addrtype --dst-type LOCAL -j DROP`,
  ];
  const policy = nodePolicy(d, n);
  const filterChains = [...(docker ? DOCKER_CHAINS : []), ':cali-INPUT - [0:0]', ...policy.chains];
  return {
    nat: { chains: [':cali-POSTROUTING - [0:0]', ':cali-nat-outgoing - [0:0]'], rules: nat },
    filter: { chains: filterChains, rules: [...filter, ...policy.rules] },
  };
}

/** felix's policy rendering on node `n` (nothing without NetworkPolicies). */
function nodePolicy(d: ClusterDecl, n: NodeDecl) {
  const workloads = d.pods.map((p) => ({ ...p, iface: podHostIf(d, p) }));
  return felixPolicy(n.name, d.networkPolicies ?? [], workloads);
}

/** Felix's ipsets: the hosts VXLAN is accepted from (their registered addresses), the pools, and the policies' selectors on `n`. */
export function calicoIpsets(d: ClusterDecl, n?: NodeDecl): string {
  const lines = [
    'create cali40all-vxlan-net hash:net family inet hashsize 1024 maxelem 1048576',
    ...d.nodes.map((n) => `add cali40all-vxlan-net ${n.ip}`),
    'create cali40all-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576',
    `add cali40all-ipam-pools ${d.podNetwork}`,
    'create cali40masq-ipam-pools hash:net family inet hashsize 1024 maxelem 1048576',
    ...(d.calico?.natOutgoing === true ? [`add cali40masq-ipam-pools ${d.podNetwork}`] : []),
    ...(n !== undefined ? nodePolicy(d, n).ipsets : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The native-routing CIDR Cilium uses, from the key the running version reads (1.11+). */
export function ciliumNativeCidr(d: ClusterDecl): string {
  return d.cilium?.config['ipv4-native-routing-cidr'] ?? d.podNetwork;
}

/** Does the running Cilium (1.11+) masquerade? It reads enable-ipv4-masquerade (default true) and ignores the old `masquerade` key. */
export function ciliumMasquerades(d: ClusterDecl): boolean {
  return (
    (d.cilium?.config['enable-ipv4-masquerade'] ?? 'true') === 'true' &&
    d.cilium?.config['enable-bpf-masquerade'] !== 'true'
  );
}

/** Cilium's iptables masquerade (pkg/datapath/iptables/iptables.go, non-BPF masquerading). */
export function ciliumIptables(d: ClusterDecl, n: NodeDecl): IptablesParts {
  const nat = ['-A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_nat" -j CILIUM_POST_nat'];
  if (ciliumMasquerades(d)) {
    nat.push(
      `-A CILIUM_POST_nat -s ${n.podCidr} ! -d ${ciliumNativeCidr(d)} ! -o cilium_+ -m comment --comment "cilium masquerade non-cluster" -j MASQUERADE`,
    );
  }
  return { nat: { chains: [':CILIUM_POST_nat - [0:0]'], rules: nat }, filter: { chains: [], rules: [] } };
}

/**
 * flannel's ipMasq rules as older flannel releases (the ones Canal shipped) write them
 * (flannel network/ipmasq.go): traffic inside the network is left alone, pods going out are
 * masqueraded, and traffic from outside to *this node's lease* is returned — built from
 * FLANNEL_SUBNET, whatever subnet the pods really use.
 */
export function flannelIptables(d: ClusterDecl, n: NodeDecl): IptablesParts {
  const net = d.podNetwork;
  const nat = [
    `-A POSTROUTING -s ${net} -d ${net} -j RETURN`,
    `-A POSTROUTING -s ${net} ! -d 224.0.0.0/4 -j MASQUERADE`,
    `-A POSTROUTING ! -s ${net} -d ${n.podCidr} -j RETURN`,
    `-A POSTROUTING ! -s ${net} -d ${net} -j MASQUERADE`,
  ];
  return { nat: { chains: [], rules: nat }, filter: { chains: [], rules: [] } };
}

const KUBE_ROUTER_POD_SUBNETS = 'kube-router-pod-subnets';
const KUBE_ROUTER_NODE_IPS = 'kube-router-node-ips';

/**
 * kube-router's routing controller (routing/network_routes_controller.go enableForwarding: three
 * FORWARD accepts, each inserted at position 1; routing/pod_egress.go: pods to anything outside
 * the pod CIDRs and the nodes are masqueraded, --random-fully where iptables has it).
 */
export function kubeRouterIptables(d: ClusterDecl, n: NodeDecl): IptablesParts {
  const policy = kubeRouterNodePolicy(d, n);
  const filter = [
    ...policy.top,
    `-A FORWARD -o ${primaryNic(n).dev} -m comment --comment "allow outbound node port traffic on node interface with which node ip is associated" -j ACCEPT`,
    `-A FORWARD -o ${KUBE_BRIDGE} -m comment --comment "allow inbound traffic to pods" -j ACCEPT`,
    `-A FORWARD -i ${KUBE_BRIDGE} -m comment --comment "allow outbound traffic from pods" -j ACCEPT`,
  ];
  const nat = [
    `-A POSTROUTING -m set --match-set ${KUBE_ROUTER_POD_SUBNETS} src -m set ! --match-set ${KUBE_ROUTER_POD_SUBNETS} dst -m set ! --match-set ${KUBE_ROUTER_NODE_IPS} dst -j MASQUERADE --random-fully`,
  ];
  return { nat: { chains: [], rules: nat }, filter: { chains: policy.chains, rules: [...filter, ...policy.rules] } };
}

/** kube-router's NetworkPolicy controller on node `n` (kube-router-policy.ts). */
function kubeRouterNodePolicy(d: ClusterDecl, n: NodeDecl) {
  return kubeRouterPolicy(n.name, d.pods, d.networkPolicies ?? [], d.serviceCidr);
}

/** The ipsets of syncNodeIPSets: every node's pod CIDR (hash:net) and address (hash:ip), timeout 0. */
export function kubeRouterIpsets(d: ClusterDecl, n: NodeDecl): string {
  return `${[
    `create ${KUBE_ROUTER_POD_SUBNETS} hash:net family inet hashsize 1024 maxelem 65536 timeout 0`,
    ...d.nodes.map((x) => `add ${KUBE_ROUTER_POD_SUBNETS} ${x.podCidr} timeout 0`),
    `create ${KUBE_ROUTER_NODE_IPS} hash:ip family inet hashsize 1024 maxelem 65536 timeout 0`,
    ...d.nodes.map((x) => `add ${KUBE_ROUTER_NODE_IPS} ${x.ip} timeout 0`),
    ...kubeRouterNodePolicy(d, n).ipsets,
  ].join('\n')}\n`;
}

// ------------------------------------------------------------------------------------ files

export function calicoConflist(n: NodeDecl): string {
  return `${JSON.stringify(
    {
      name: 'k8s-pod-network',
      cniVersion: '0.3.1',
      plugins: [
        {
          type: 'calico',
          log_level: 'info',
          log_file_path: '/var/log/calico/cni/cni.log',
          datastore_type: 'kubernetes',
          nodename: n.name,
          mtu: 0,
          ipam: { type: 'calico-ipam' },
          policy: { type: 'k8s' },
          kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
        },
        { type: 'portmap', snat: true, capabilities: { portMappings: true } },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** Canal's conflist with the subnet written in, as CDK's canal charm did (test/fixtures/cni/10-canal-cdk.conflist). */
export function canalConflist(d: ClusterDecl, n: NodeDecl): string {
  const subnet = d.canal?.cniSubnet?.[n.name] ?? n.podCidr;
  return `${JSON.stringify(
    {
      name: 'k8s-pod-network',
      cniVersion: '0.3.1',
      plugins: [
        {
          type: 'calico',
          log_level: 'info',
          datastore_type: 'kubernetes',
          nodename: n.name,
          mtu: 1450,
          ipam: { type: 'host-local', subnet: firstHost(subnet) },
          policy: { type: 'k8s' },
          kubernetes: { kubeconfig: '/etc/cni/net.d/calico-kubeconfig' },
        },
        { type: 'portmap', snat: true, capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The conflist kube-flannel's install-cni writes (test/fixtures/cni/10-flannel.conflist). */
export const FLANNEL_CONFLIST = '/etc/cni/net.d/10-flannel.conflist';
/** The conflist k3s's built-in flannel writes into k3s's CNI conf dir (test/fixtures/cni/SOURCES.md). */
export const K3S_FLANNEL_CONFLIST = '/var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist';

export function flannelSubnetEnv(d: ClusterDecl, n: NodeDecl): string {
  return `FLANNEL_NETWORK=${d.podNetwork}\nFLANNEL_SUBNET=${firstHost(n.podCidr)}\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`;
}

// ------------------------------------------------------------------------------------ nodes

/** The MAC node `n` programs for peer `p`'s VTEP: the peer's device MAC, unless the declaration makes it stale. */
function macOf(d: ClusterDecl, n: NodeDecl, p: NodeDecl): string {
  return d.staleVtepMacs?.find((x) => x.host === n.name && x.peer === p.name)?.mac ?? p.vtepMac;
}

function calicoNode(d: ClusterDecl, n: NodeDecl): HostOptions {
  const nic = primaryNic(n);
  const local = d.calico?.vxlanLocal !== false;
  const peers = d.nodes.filter((p) => p !== n);
  return {
    devices: [
      {
        kind: 'vxlan',
        name: VXLAN_CALICO,
        vni: CALICO_VNI,
        dstport: CALICO_VXLAN_PORT,
        mac: n.vtepMac,
        mtu: 1450,
        ...(local ? { local: n.ip, dev: nic.dev } : d.calico?.vxlanDevOnly === true ? { dev: nic.dev } : {}),
      },
    ],
    addresses: [`${tunnelIp(n)}/32 dev ${VXLAN_CALICO}`],
    routes: [
      defaultRoute(d, n),
      `blackhole ${n.podCidr} proto 80`,
      ...peers.map((p) => `${p.podCidr} via ${tunnelIp(p)} dev ${VXLAN_CALICO} onlink proto 80`),
    ],
    neighbors: peers.map((p) => `${tunnelIp(p)} lladdr ${macOf(d, n, p)} dev ${VXLAN_CALICO} nud permanent`),
    fdb: peers.map((p) => `${macOf(d, n, p)} dev ${VXLAN_CALICO} dst ${p.ip} self permanent`),
    ipsets: calicoIpsets(d, n),
    ...nodeIptables(d, n, calicoIptables(d, n)),
    files: { '/etc/cni/net.d/10-calico.conflist': calicoConflist(n) },
  };
}

function ciliumNode(d: ClusterDecl, n: NodeDecl): HostOptions {
  const nic = primaryNic(n);
  const peers = d.nodes.filter((p) => p !== n);
  return {
    routes: [defaultRoute(d, n), ...peers.map((p) => `${p.podCidr} via ${p.ip} dev ${nic.dev}`)],
    ...nodeIptables(d, n, ciliumIptables(d, n)),
    // What cilium-agent's install-cni writes (test/fixtures/cni/SOURCES.md).
    files: { '/etc/cni/net.d/05-cilium.conflist': fixture('cni/05-cilium.conflist') },
  };
}

function canalNode(d: ClusterDecl, n: NodeDecl): HostOptions {
  return {
    routes: [defaultRoute(d, n)],
    ...nodeIptables(d, n, flannelIptables(d, n)),
    files: {
      '/etc/cni/net.d/10-canal.conflist': canalConflist(d, n),
      '/run/flannel/subnet.env': flannelSubnetEnv(d, n),
    },
  };
}

/** The conflist kube-flannel writes, with its delegate's hairpinMode as the declaration says. */
function flannelConflist(d: ClusterDecl): string {
  const text = fixture(d.flannel?.k3s === true ? 'cni/10-flannel-k3s.conflist' : 'cni/10-flannel.conflist');
  if (hairpinMode(d)) return text;
  const c = JSON.parse(text) as { plugins: { delegate?: Record<string, unknown> }[] };
  c.plugins[0]!.delegate!['hairpinMode'] = false;
  return `${JSON.stringify(c, null, 2)}\n`;
}

function hairpinMode(d: ClusterDecl): boolean {
  if (d.cni === 'kube-router') return d.kubeRouter?.hairpinMode === true;
  return d.flannel?.hairpinMode !== false;
}

function flannelNode(d: ClusterDecl, n: NodeDecl): HostOptions {
  return {
    routes: [defaultRoute(d, n)],
    // kubeadm's preflight requires bridged traffic to pass iptables.
    sysctls: { 'net.bridge.bridge-nf-call-iptables': '1' },
    ...nodeIptables(d, n, flannelIptables(d, n)),
    files: {
      [d.flannel?.k3s === true ? K3S_FLANNEL_CONFLIST : FLANNEL_CONFLIST]: flannelConflist(d),
      '/run/flannel/subnet.env': flannelSubnetEnv(d, n),
    },
  };
}

/** The file kube-router's install-cni writes (KUBE_ROUTER_CNI_CONF_FILE in kubeadm-kuberouter.yaml). */
export const KUBE_ROUTER_CONFLIST = '/etc/cni/net.d/10-kuberouter.conflist';
export const KUBE_BRIDGE = 'kube-bridge';

/** kube-router-cfg's cni-conf.json as the kubeadm manifests ship it (with hairpinMode: kubeadm-kuberouter-all-features.yaml). */
export function kubeRouterCniConf(d: ClusterDecl): string {
  return `{
   "cniVersion":"0.3.0",
   "name":"mynet",
   "plugins":[
      {
         "name":"kubernetes",
         "type":"bridge",
         "bridge":"kube-bridge",
         "isDefaultGateway":true,${hairpinMode(d) ? '\n         "hairpinMode":true,' : ''}
         "ipam":{
            "type":"host-local"
         }
      }
   ]
}
`;
}

/** Keys sorted at every level, as Go's json.Marshal writes a map. */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, sortedKeys(o[k])]),
  );
}

/**
 * The conflist after kube-router's routing controller rewrote it (initCNIConfig: InsertPodCIDRIntoIPAM
 * adds node.spec.podCIDR as a host-local range, --auto-mtu sets the bridge plugin's mtu to the
 * node's; WriteCNIConfig writes json.Marshal's compact, key-sorted output).
 */
export function kubeRouterConflist(d: ClusterDecl, n: NodeDecl): string {
  const c = JSON.parse(kubeRouterCniConf(d)) as { plugins: Record<string, unknown>[] };
  const bridge = c.plugins[0]!;
  (bridge['ipam'] as Record<string, unknown>)['ranges'] = [[{ subnet: n.podCidr }]];
  bridge['mtu'] = 1500;
  return JSON.stringify(sortedKeys(c));
}

function kubeRouterNode(d: ClusterDecl, n: NodeDecl): HostOptions {
  const peers = d.nodes.filter((p) => p !== n);
  return {
    // Every peer shares the node's subnet: injectRoute's direct route, protocol ZebraOriginator (0x11).
    routes: [defaultRoute(d, n), ...peers.map((p) => `${p.podCidr} via ${p.ip} dev ${primaryNic(n).dev} proto 17`)],
    // The routing controller sets it (NewNetworkRoutingController: utils.BridgeNFCallIPTables).
    sysctls: { 'net.bridge.bridge-nf-call-iptables': '1' },
    ipsets: kubeRouterIpsets(d, n),
    ...nodeIptables(d, n, kubeRouterIptables(d, n)),
    files: { [KUBE_ROUTER_CONFLIST]: kubeRouterConflist(d, n) },
  };
}

function nodeOptions(d: ClusterDecl, n: NodeDecl): HostOptions {
  switch (d.cni) {
    case 'calico-vxlan':
    case 'calico-ipip':
      return calicoNode(d, n);
    case 'flannel':
      return flannelNode(d, n);
    case 'cilium-native':
      return ciliumNode(d, n);
    case 'canal':
      return canalNode(d, n);
    case 'kube-router':
      return kubeRouterNode(d, n);
  }
}

export const KUBE_IPVS0 = 'kube-ipvs0';

/** Every address kube-proxy's IPVS mode binds on kube-ipvs0 of every node: ClusterIPs and externalIPs. */
export function ipvsAddresses(d: ClusterDecl): string[] {
  return [...new Set(d.services.flatMap((s) => [s.clusterIP, ...(s.externalIPs ?? [])]))];
}

/**
 * kube-proxy IPVS mode (pkg/proxy/ipvs/proxier.go): a kube-ipvs0 *dummy* device, left down, with
 * every service address as a /32, which puts each of them in the local table. This kernel has no
 * dummy driver, so kube-ipvs0 is a bridge without ports, also down: its addresses become local
 * routes the same way (fib_add_ifaddr), which is all local routing looks at. With strictARP
 * kube-proxy also sets arp_ignore = 1 and arp_announce = 2, so nodes do not answer ARP for them.
 */
function kubeIpvs0(d: ClusterDecl): HostOptions {
  return {
    sysctls: { 'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2' },
    devices: [{ kind: 'bridge', name: KUBE_IPVS0 }],
    addresses: ipvsAddresses(d).map((a) => `${a}/32 dev ${KUBE_IPVS0}`),
    commands: [['ip', 'link', 'set', 'dev', KUBE_IPVS0, 'down']],
  };
}

/**
 * The virtual servers kube-proxy's IPVS mode programs, in `ipvsadm -S -n` form. The kernel here
 * has no IPVS, so the probe cannot list them; the examples carry this text instead (README).
 */
export function ipvsadmSave(d: ClusterDecl, endpoints: (s: ServiceDecl) => { ip: string }[]): string {
  const lines: string[] = [];
  const proto = (s: ServiceDecl) => (s.protocol === 'UDP' ? '-u' : '-t');
  for (const s of d.services) {
    for (const vip of [s.clusterIP, ...(s.externalIPs ?? [])]) {
      lines.push(`-A ${proto(s)} ${vip}:${s.port} -s rr`);
      const port = s.app === '' ? 6443 : s.targetPort;
      for (const e of endpoints(s)) lines.push(`-a ${proto(s)} ${vip}:${s.port} -r ${e.ip}:${port} -m -w 1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function applyRouteEdits(lab: Lab, edits: ClusterDecl['routeEdits']): Lab {
  if (edits === undefined || edits.length === 0) return lab;
  return {
    ...lab,
    hosts: lab.hosts.map((h) => {
      const mine = edits.filter((e) => e.host === h.name);
      if (mine.length === 0) return h;
      const routes: string[] = [];
      for (const r of h.routes ?? []) {
        const e = mine.find((x) => x.from === r);
        if (e === undefined) routes.push(r);
        else if (e.to !== null) routes.push(e.to);
      }
      for (const e of mine)
        if (!(h.routes ?? []).includes(e.from)) throw new Error(`route edit on ${h.name}: no route "${e.from}"`);
      return { ...h, routes };
    }),
  };
}

function podMtu(d: ClusterDecl): number {
  return d.podMtu ?? (d.cni === 'cilium-native' || d.cni === 'kube-router' ? 1500 : 1450);
}

/** A pod as its CNI plugin attaches it: on cni0 for flannel, kube-bridge for kube-router, a routed veth otherwise. */
function podLab(d: ClusterDecl, p: PodDecl): Lab {
  const mtu = podMtu(d);
  if (!isBridged(d)) return calicoPod({ name: podHost(p), node: p.node, ip: p.ip, hostIf: podHostIf(d, p), mtu });
  const cidr = nodeOf(d, p.node).podCidr;
  return mergeLabs(
    bridgePod({
      name: podHost(p),
      node: p.node,
      addr: `${p.ip}/${cidr.split('/')[1]}`,
      gateway: firstHost(cidr),
      hostIf: podHostIf(d, p),
      mtu,
      ...(d.cni === 'kube-router' ? { bridge: KUBE_BRIDGE } : {}),
    }),
    // The bridge plugin with hairpinMode sets the port's flag as it attaches the pod.
    ...(hairpinMode(d)
      ? [node(p.node, { commands: [['bridge', 'link', 'set', 'dev', podHostIf(d, p), 'hairpin', 'on']] })]
      : []),
  );
}

/** The lab of a cluster: switches, router, LAN hosts, nodes with their CNI state, pods. */
export function labOf(d: ClusterDecl): Lab {
  const parts: Lab[] = [];
  for (const s of d.segments) {
    const ports: SegmentPort[] = [
      ...d.router.nics
        .filter((x) => x.segment === s.name)
        .map((x) => ({ host: d.router.name, dev: x.dev, addr: x.addr })),
      ...d.lanHosts.filter((x) => x.segment === s.name).map((x) => ({ host: x.name, dev: 'eth0', addr: x.addr })),
      ...d.nodes.flatMap((n) =>
        n.nics.filter((x) => x.segment === s.name).map((x) => ({ host: n.name, dev: x.dev, addr: x.addr })),
      ),
    ];
    parts.push(lanSegment(switchName(s.name), ports));
  }
  parts.push(router(d.router.name, { routes: d.router.routes }));
  for (const l of d.lanHosts) parts.push(lanHost(l.name, { routes: [`default via ${l.gateway} dev eth0`] }));
  for (const n of d.nodes) parts.push(node(n.name, nodeOptions(d, n)));
  if (d.kubeProxyMode === 'ipvs') for (const n of d.nodes) parts.push(node(n.name, kubeIpvs0(d)));
  if (isFlannel(d)) {
    parts.push(
      flannelVxlan(
        d.nodes.map((n) => ({
          host: n.name,
          underlayIp: n.ip,
          underlayDev: primaryNic(n).dev,
          podCidr: n.podCidr,
          mac: n.vtepMac,
        })),
      ),
    );
  }
  for (const p of d.pods) parts.push(podLab(d, p));
  if (d.tweaks !== undefined) parts.push(d.tweaks);
  return applyRouteEdits(mergeLabs(...parts), d.routeEdits);
}

/** Every lab host that is a machine netcheck could probe or the test walks from: not switches, not pods. */
export function machineHosts(d: ClusterDecl): string[] {
  return [d.router.name, ...d.lanHosts.map((l) => l.name), ...d.nodes.map((n) => n.name)];
}
