// Which CNI and which kube-proxy mode the cluster runs, from the objects and the nodes' state.
// Each answer carries the facts it rests on, so a report can show why netcheck thinks so.
import { parse as parseYaml } from 'yaml';
import type { ClusterInfo, ConfigMapInfo } from './cluster.ts';
import { isIptablesNftTable } from './parse/nft.ts';
import type { HostState } from './types.ts';

export type CniKind = 'calico' | 'cilium' | 'flannel' | 'canal' | 'unknown';
/** How pod traffic crosses nodes: an overlay, or plain routing (BGP / native routing / host-gw). */
export type Encapsulation = 'ipip' | 'vxlan' | 'none' | 'unknown';
export type ProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'ebpf' | 'none' | 'unknown';

export interface Detected<T> {
  value: T;
  /** The facts behind the answer, e.g. `ConfigMap kube-system/kube-proxy: mode: ipvs`. */
  because: string[];
}

export interface ClusterFlavour {
  cni: Detected<CniKind>;
  encapsulation: Detected<Encapsulation>;
  proxy: Detected<ProxyMode>;
  /** Names of the tunnel devices pod traffic uses on the nodes (tunl0, vxlan.calico, flannel.1, cilium_vxlan). */
  tunnelDevices: string[];
}

/** Tunnel devices by CNI; the names are fixed by each project (felix, flanneld, cilium-agent). */
export const TUNNEL_DEVICES: Readonly<Record<string, { cni: CniKind; encap: Encapsulation }>> = {
  tunl0: { cni: 'calico', encap: 'ipip' },
  'vxlan.calico': { cni: 'calico', encap: 'vxlan' },
  'flannel.1': { cni: 'flannel', encap: 'vxlan' },
  cilium_vxlan: { cni: 'cilium', encap: 'vxlan' },
  cilium_geneve: { cni: 'cilium', encap: 'unknown' },
};

export function configMap(cluster: ClusterInfo, name: string): ConfigMapInfo | undefined {
  return (
    cluster.configMaps.find(
      (c) =>
        c.name === name &&
        (c.namespace === 'kube-system' || c.namespace === 'kube-flannel' || c.namespace === 'calico-system'),
    ) ?? cluster.configMaps.find((c) => c.name === name)
  );
}

function podsNamed(cluster: ClusterInfo, prefix: string): number {
  return cluster.pods.filter((p) => p.name.startsWith(prefix)).length;
}

function detectCni(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<CniKind> {
  const because: string[] = [];
  const calicoCni = hosts.filter((h) => h.cni.some((c) => c.plugins.some((p) => p.type === 'calico')));
  const calico =
    cluster.ipPools.length > 0 ||
    podsNamed(cluster, 'calico-node') > 0 ||
    configMap(cluster, 'calico-config') !== undefined ||
    calicoCni.length > 0;
  const flannel =
    configMap(cluster, 'kube-flannel-cfg') !== undefined ||
    configMap(cluster, 'canal-config') !== undefined ||
    hosts.some((h) => h.flannel !== undefined);
  const cilium =
    configMap(cluster, 'cilium-config') !== undefined ||
    podsNamed(cluster, 'cilium-') > 0 ||
    hosts.some((h) => h.links.some((l) => l.name === 'cilium_host'));
  if (cluster.ipPools.length > 0) because.push(`${cluster.ipPools.length} Calico IPPool(s)`);
  if (configMap(cluster, 'canal-config') !== undefined) because.push('ConfigMap canal-config');
  if (configMap(cluster, 'kube-flannel-cfg') !== undefined) because.push('ConfigMap kube-flannel-cfg');
  if (hosts.some((h) => h.flannel !== undefined)) because.push('/run/flannel/subnet.env on the nodes');
  if (configMap(cluster, 'cilium-config') !== undefined) because.push('ConfigMap cilium-config');
  if (hosts.some((h) => h.links.some((l) => l.name === 'cilium_host'))) because.push('cilium_host device on the nodes');
  if (podsNamed(cluster, 'calico-node') > 0) because.push('calico-node pods');
  if (calicoCni.length > 0)
    because.push(
      `calico CNI plugin in ${calicoCni[0]!.cni.find((c) => c.plugins.some((p) => p.type === 'calico'))!.path} on ${calicoCni.map((h) => h.name).join(', ')}`,
    );
  const value: CniKind = cilium
    ? 'cilium'
    : calico && flannel
      ? 'canal'
      : calico
        ? 'calico'
        : flannel
          ? 'flannel'
          : 'unknown';
  return { value, because };
}

function detectEncapsulation(cni: CniKind, cluster: ClusterInfo, hosts: readonly HostState[]): Detected<Encapsulation> {
  const because: string[] = [];
  const active = cluster.ipPools.filter((p) => !p.disabled);
  if (cni === 'calico' && active.length > 0) {
    const ipip = active.filter((p) => p.ipipMode !== 'Never');
    const vxlan = active.filter((p) => p.vxlanMode !== 'Never');
    for (const p of active) because.push(`IPPool ${p.name}: ipipMode ${p.ipipMode}, vxlanMode ${p.vxlanMode}`);
    return { value: ipip.length > 0 ? 'ipip' : vxlan.length > 0 ? 'vxlan' : 'none', because };
  }
  const flannelCfg = configMap(cluster, 'kube-flannel-cfg') ?? configMap(cluster, 'canal-config');
  if (flannelCfg !== undefined) {
    const net = flannelCfg.data['net-conf.json'];
    const m = net !== undefined ? /"Type"\s*:\s*"([^"]+)"/i.exec(net) : null;
    if (m !== null) {
      because.push(`ConfigMap ${flannelCfg.name}: net-conf.json Backend.Type ${m[1]}`);
      const t = m[1]!.toLowerCase();
      return { value: t === 'vxlan' ? 'vxlan' : t === 'ipip' ? 'ipip' : t === 'host-gw' ? 'none' : 'unknown', because };
    }
  }
  const cilium = configMap(cluster, 'cilium-config');
  if (cilium !== undefined) {
    const mode = cilium.data['routing-mode'] ?? (cilium.data['tunnel'] === 'disabled' ? 'native' : undefined);
    const tunnel = cilium.data['tunnel-protocol'] ?? cilium.data['tunnel'];
    if (mode === 'native') {
      because.push(
        `cilium-config: ${cilium.data['routing-mode'] !== undefined ? 'routing-mode: native' : 'tunnel: disabled'}`,
      );
      return { value: 'none', because };
    }
    if (tunnel !== undefined) {
      because.push(`cilium-config: tunnel ${tunnel}`);
      return { value: tunnel === 'vxlan' ? 'vxlan' : 'unknown', because };
    }
  }
  const devs = new Set(hosts.flatMap((h) => h.links.map((l) => l.name)).filter((n) => TUNNEL_DEVICES[n] !== undefined));
  for (const d of devs) {
    because.push(`${d} device on the nodes`);
    return { value: TUNNEL_DEVICES[d]!.encap, because };
  }
  return { value: 'unknown', because };
}

/** kube-proxy's mode from its ConfigMap (KubeProxyConfiguration `mode`), else from the node state. */
function detectProxy(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<ProxyMode> {
  const because: string[] = [];
  const cilium = configMap(cluster, 'cilium-config');
  const kpr = cilium?.data['kube-proxy-replacement'];
  if (kpr === 'true' || kpr === 'strict')
    return { value: 'ebpf', because: [`cilium-config: kube-proxy-replacement: ${kpr}`] };
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
  const cni = detectCni(cluster, hosts);
  const encapsulation = detectEncapsulation(cni.value, cluster, hosts);
  const tunnelDevices = [
    ...new Set(hosts.flatMap((h) => h.links.map((l) => l.name)).filter((n) => TUNNEL_DEVICES[n] !== undefined)),
  ].sort();
  return { cni, encapsulation, proxy: detectProxy(cluster, hosts), tunnelDevices };
}
