// flannel (flannel-io/flannel). Devices: flannel.1 (vxlan backend), cni0 (the bridge its CNI
// plugin delegates to). IPAM: flanneld leases each node a subnet and writes it to
// /run/flannel/subnet.env; its CNI plugin hands the bridge plugin a host-local range built from
// FLANNEL_SUBNET at every ADD. With --kube-subnet-mgr (the kube-flannel manifest, k3s) the lease
// is node.spec.podCIDR (annotation flannel.alpha.coreos.com/kube-subnet-manager: "true").
import type { ClusterInfo, NodeInfo } from '../cluster.ts';
import type { HostState } from '../types.ts';
import { bareIpv4, cniPlugin, configMap, flannelLeases, nodePodCidrs, podsNamed, preferRanges } from './common.ts';
import type { CniModule, Detected, EncryptedUnderlay, Encapsulation, Ipam } from './types.ts';

const KUBE_SUBNET_MGR = 'flannel.alpha.coreos.com/kube-subnet-manager';

function detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[] {
  const because: string[] = [];
  if (configMap(cluster, 'kube-flannel-cfg') !== undefined) because.push('ConfigMap kube-flannel-cfg');
  if (configMap(cluster, 'canal-config') !== undefined) because.push('ConfigMap canal-config');
  if (podsNamed(cluster, 'kube-flannel') > 0) because.push('kube-flannel pods');
  if (hosts.some((h) => h.flannel?.subnet !== undefined)) because.push('/run/flannel/subnet.env on the nodes');
  const annotated = cluster.nodes.filter((n) => n.flannelBackendType !== undefined);
  if (annotated.length > 0) because.push(`flannel.alpha.coreos.com annotations on ${annotated.length} node(s)`);
  const plugin = cniPlugin(hosts, 'flannel');
  if (plugin !== undefined) because.push(`flannel CNI plugin in ${plugin.path} on ${plugin.node}`);
  return because;
}

/** Backend.Type of net-conf.json, else the backend-type the nodes were annotated with. */
export function flannelEncapsulation(cluster: ClusterInfo): Detected<Encapsulation> | undefined {
  const cfg = configMap(cluster, 'kube-flannel-cfg') ?? configMap(cluster, 'canal-config');
  const net = cfg?.data['net-conf.json'];
  const m = net !== undefined ? /"Type"\s*:\s*"([^"]+)"/i.exec(net) : null;
  let type: string | undefined;
  let because: string;
  if (m !== null) {
    type = m[1]!;
    because = `ConfigMap ${cfg!.name}: net-conf.json Backend.Type ${type}`;
  } else {
    const n = cluster.nodes.find((x) => x.flannelBackendType !== undefined);
    if (n === undefined) return undefined;
    type = n.flannelBackendType!;
    because = `Node ${n.name}: annotation flannel.alpha.coreos.com/backend-type=${type}`;
  }
  const t = type.toLowerCase();
  return {
    value: t === 'vxlan' ? 'vxlan' : t === 'ipip' ? 'ipip' : t === 'host-gw' ? 'none' : 'unknown',
    because: [because],
  };
}

/** flannel's lease per node: node.spec.podCIDR under --kube-subnet-mgr, else subnet.env. */
export function flannelIpam(cluster: ClusterInfo, hosts: readonly HostState[]): Ipam {
  const kubeMgr = cluster.nodes.filter((n) => n.annotations[KUBE_SUBNET_MGR] === 'true');
  const manifest = configMap(cluster, 'kube-flannel-cfg') ?? configMap(cluster, 'canal-config');
  // The kube-flannel and Canal manifests run flanneld with --kube-subnet-mgr.
  const usesNodePodCidr = kubeMgr.length > 0 || manifest !== undefined;
  const because = [
    kubeMgr.length > 0
      ? `Node ${kubeMgr[0]!.name}: annotation ${KUBE_SUBNET_MGR}=true`
      : manifest !== undefined
        ? `ConfigMap ${manifest.name} (flanneld --kube-subnet-mgr)`
        : 'subnet.env leases (flanneld with its own subnet store)',
  ];
  const leases = flannelLeases(hosts);
  return {
    mode: { value: 'host-local (flannel subnet.env)', because },
    ranges: usesNodePodCidr ? preferRanges(nodePodCidrs(cluster), leases) : leases,
    usesNodePodCidr,
  };
}

/** flannel.alpha.coreos.com/public-ip: the VTEP its peers send to. */
export function flannelUnderlay(n: NodeInfo): { ip: string; source: string } | undefined {
  const ip = bareIpv4(n.flannelPublicIP);
  return ip === undefined
    ? undefined
    : { ip, source: `Node ${n.name}: annotation flannel.alpha.coreos.com/public-ip=${n.flannelPublicIP}` };
}

/** flanneld --ip-masq, as the node's subnet.env records it. */
function masqueradeConfig(_cluster: ClusterInfo, _podIp: string, node: string, host: HostState | undefined): string[] {
  const ipMasq = host?.flannel?.ipMasq;
  return ipMasq === undefined ? [] : [`${node}:/run/flannel/subnet.env: FLANNEL_IPMASQ=${ipMasq}`];
}

/**
 * net-conf.json Backend.Type `wireguard` (flannel-wg listens on Backend.ListenPort, 51820 unless
 * set: pkg/backend/wireguard/wireguard.go RegisterNetwork) or `ipsec` (ESP between the nodes'
 * public IPs, pkg/backend/ipsec).
 */
function encryptedUnderlay(cluster: ClusterInfo): EncryptedUnderlay[] {
  const cfg = configMap(cluster, 'kube-flannel-cfg') ?? configMap(cluster, 'canal-config');
  const net = cfg?.data['net-conf.json'];
  const type = net !== undefined ? /"Type"\s*:\s*"([^"]+)"/i.exec(net)?.[1]?.toLowerCase() : undefined;
  const where = `ConfigMap ${cfg?.name}: net-conf.json Backend`;
  if (type === 'wireguard') {
    const set = /"ListenPort"\s*:\s*(\d+)/.exec(net!)?.[1];
    return [
      {
        kind: 'wireguard',
        port: set !== undefined ? Number(set) : 51820,
        because: `${where}.Type wireguard, ListenPort ${set ?? '51820 (flannel default)'}`,
      },
    ];
  }
  return type === 'ipsec' ? [{ kind: 'esp', because: `${where}.Type ipsec` }] : [];
}

export const flannel: CniModule = {
  name: 'flannel',
  detect,
  encryptedUnderlay,
  tunnels: { 'flannel.1': 'vxlan' },
  underlay: flannelUnderlay,
  encapsulation: flannelEncapsulation,
  ipam: flannelIpam,
  masqueradeConfig,
  networkPolicy: {
    enforces: false,
    how: 'flannel has no policy engine: NetworkPolicy objects are accepted by the API server and enforced by nothing (Canal adds felix for that)',
  },
};
