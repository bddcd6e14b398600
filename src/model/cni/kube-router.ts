// kube-router (cloudnativelabs/kube-router; sources read at 7c2c2779, v2.11.0+1). One DaemonSet
// agent per node, its flags deciding which of its controllers run (pkg/options/options.go):
// --run-router (default true: pod routing over iBGP), --run-firewall (default true: NetworkPolicy),
// --run-service-proxy (default true: IPVS in place of kube-proxy; the kubeadm-kuberouter.yaml
// manifest sets it false and keeps kube-proxy).
// Devices: its install-cni init container writes kube-router-cfg's cni-conf.json to
// /etc/cni/net.d/10-kuberouter.conflist: the bridge plugin on `kube-bridge`, host-local IPAM into
// which the routing controller inserts node.spec.podCIDR (routing/network_routes_controller.go
// initCNIConfig → utils/cni.go InsertPodCIDRIntoIPAM). Pods are bridge ports (veth names are the
// bridge plugin's random ones, not derived from the pod).
// Routes to other nodes' pod CIDRs (injectRoute, proto 17 = routes.ZebraOriginator since v2.3):
// `<cidr> via <peer>` when the peer shares one of the node's subnets, else over a per-peer
// tunnel `tun-<sha256(peer ip)[:11]>` (tunnels/linux_tunnels.go GenerateTunnelName) when
// --enable-overlay (default true) and --overlay-type subnet (default; `full` tunnels to every
// peer); --overlay-encap ipip (default) or fou (IPIP inside UDP, since v2.0).
import type { ClusterInfo, PodInfo } from '../cluster.ts';
import type { HostState, Link } from '../types.ts';
import { activeCniConfig, configMap, nodePodCidrs, preferRanges } from './common.ts';
import type { CniModule, Detected, Encapsulation, Ipam, PodRange } from './types.ts';

const BRIDGE = 'kube-bridge';
/** GenerateTunnelName: "tun-" + the first 11 hex digits of the peer address's SHA-256. */
const TUNNEL = /^tun-[0-9a-f]{11}$/;
/** iproute2 ip/tunnel.c tnl_print_encap: an encapsulated tunnel's info_data has "encap":{"type":"fou"|"gue",…}. */
const UDP_ENCAP = /"encap"\s*:\s*\{\s*"type"\s*:\s*"(fou|gue)"/;

/** The kube-router agent pods (DaemonSet kube-system/kube-router, label k8s-app=kube-router). */
function agents(cluster: ClusterInfo): PodInfo[] {
  return cluster.pods.filter(
    (p) => p.hostNetwork && (p.labels['k8s-app'] === 'kube-router' || p.name.startsWith('kube-router-')),
  );
}

/** One flag of the agent: its value and the fact it rests on (the pod's argument, or the default). */
interface Flag {
  value: string;
  because: string;
}

/** The agents' flags (pflag: `--name=value`, `--name value`, or a bare boolean `--name`), from the first agent with arguments. */
function agentFlags(cluster: ClusterInfo): ((name: string, dflt: string) => Flag) | undefined {
  const pod = agents(cluster).find((p) => (p.args ?? []).length > 0);
  if (pod === undefined) return undefined;
  const args = pod.args ?? [];
  const where = `Pod ${pod.namespace}/${pod.name}`;
  return (name, dflt) => {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a.startsWith(`--${name}=`)) return { value: a.slice(name.length + 3), because: `${where}: ${a}` };
      if (a !== `--${name}`) continue;
      const next = args[i + 1];
      const value = next === undefined || next.startsWith('-') ? 'true' : next;
      return { value, because: `${where}: --${name}${value === 'true' && next !== 'true' ? '' : ` ${value}`}` };
    }
    return { value: dflt, because: `${where}: --${name} not set (default ${dflt})` };
  };
}

/** The bridge plugin on kube-bridge in a node's active CNI configuration. */
function bridgeConf(h: HostState): { path: string; subnets: string[] } | undefined {
  const c = activeCniConfig(h);
  const p = c?.plugins.find((x) => x.type === 'bridge' && x.config['bridge'] === BRIDGE);
  return p === undefined ? undefined : { path: c!.path, subnets: p.ipamSubnets };
}

function detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[] {
  const because: string[] = [];
  if (configMap(cluster, 'kube-router-cfg') !== undefined) because.push('ConfigMap kube-router-cfg');
  const pods = agents(cluster).length;
  if (pods > 0) because.push(`${pods} kube-router pod(s)`);
  for (const h of hosts) {
    const c = bridgeConf(h);
    if (c === undefined) continue;
    because.push(`bridge plugin on ${BRIDGE} in ${c.path} on ${h.name}`);
    break;
  }
  return because;
}

/** kube-router's per-peer tunnels on the probed nodes. */
function tunnelLinks(hosts: readonly HostState[]): { node: string; link: Link }[] {
  return hosts.flatMap((h) => h.links.filter((l) => TUNNEL.test(l.name)).map((link) => ({ node: h.name, link })));
}

function fouUnknown(because: string[]): Detected<Encapsulation> {
  // The engine models plain IPIP (protocol 4); FOU/GUE wrap it in UDP, which it does not walk.
  return { value: 'unknown', because: [...because, 'IPIP inside FOU/GUE (UDP) is not modelled'] };
}

/**
 * The flags when the agent pods were collected; otherwise the tunnels on the nodes. With
 * --overlay-type subnet only peers on other subnets get a tunnel: none on every node means
 * direct routes only, but that needs every node probed.
 */
function encapsulation(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<Encapsulation> | undefined {
  const tunnels = tunnelLinks(hosts);
  const seen = tunnels.map((t) => `${t.link.name} (${t.link.infoKind ?? t.link.kind}) on ${t.node}`).slice(0, 2);
  const udp = tunnels.find((t) => UDP_ENCAP.test(t.link.raw));
  const flag = agentFlags(cluster);
  if (flag === undefined) {
    if (udp !== undefined) return fouUnknown(seen);
    return tunnels.length > 0 ? { value: 'ipip', because: seen } : undefined;
  }
  const overlay = flag('enable-overlay', 'true');
  if (overlay.value === 'false') return { value: 'none', because: [overlay.because] };
  const encap = flag('overlay-encap', 'ipip');
  const type = flag('overlay-type', 'subnet');
  const because = [overlay.because, type.because, encap.because];
  if (encap.value !== 'ipip' || udp !== undefined) return fouUnknown([...because, ...seen]);
  if (type.value === 'full' || tunnels.length > 0) return { value: 'ipip', because: [...because, ...seen] };
  const probed = new Set(hosts.map((h) => h.name));
  if (cluster.nodes.length === 0 || cluster.nodes.some((n) => !probed.has(n.name))) return undefined;
  return {
    value: 'none',
    because: [
      ...because,
      `no tun-* device on any of the ${probed.size} nodes: every peer shares a subnet, routed directly`,
    ],
  };
}

/** The host-local subnets of each node's kube-bridge configuration. */
function conflistRanges(hosts: readonly HostState[]): PodRange[] {
  return hosts.flatMap((h) => {
    const c = bridgeConf(h);
    return (c?.subnets ?? []).map((cidr) => ({ node: h.name, cidr, source: `${h.name}:${c!.path} ipam ${cidr}` }));
  });
}

function ipam(cluster: ClusterInfo, hosts: readonly HostState[]): Ipam {
  return {
    mode: {
      value: 'host-local (node.spec.podCIDR)',
      because: ["kube-router writes each node's spec.podCIDR into its CNI configuration's host-local ranges"],
    },
    ranges: preferRanges(nodePodCidrs(cluster), conflistRanges(hosts)),
    usesNodePodCidr: true,
  };
}

/** --use-nftables-for-netpol (v2.11+, experimental): the policy controller writes nftables instead of iptables. */
function dataplane(cluster: ClusterInfo): Detected<string> | undefined {
  const flag = agentFlags(cluster);
  if (flag === undefined) return undefined;
  const nft = flag('use-nftables-for-netpol', 'false');
  return { value: nft.value === 'true' ? 'nftables' : 'iptables', because: [nft.because] };
}

export const kubeRouter: CniModule = {
  name: 'kube-router',
  detect,
  // Its tunnels are named per peer (tun-<hash>), not fixed: encapsulation() reads them.
  tunnels: {},
  dataplane,
  encapsulation,
  ipam,
  networkPolicy: {
    enforces: true,
    // An ipBlock becomes a hash:net ipset matched against the packet's address whoever sends it
    // (netpol/policy.go, the *IPBlockIPSetName sets): pods inside the block match.
    ipBlockMatchesPods: true,
    how: 'kube-router (--run-firewall, default true) enforces NetworkPolicy with its KUBE-ROUTER-* / KUBE-POD-FW-* / KUBE-NWPLCY-* iptables chains and ipsets (nftables with --use-nftables-for-netpol)',
  },
};
