// Typed views of the Kubernetes objects in a snapshot: only the fields the analysis reads, taken
// defensively (a snapshot is input: any field may be missing or of the wrong type).
import type { KubeObject, SnapshotObjects } from '../snapshot/types.ts';
import { networkPolicyInfo } from './network-policy.ts';
import type { NetworkPolicyInfo } from './network-policy.ts';

export interface NodeInfo {
  name: string;
  internalIPs: string[];
  externalIPs: string[];
  podCIDRs: string[];
  ready: boolean;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Calico: projectcalico.org/IPv4Address (address/len), the address peers expect IPIP from. */
  calicoIPv4?: string;
  calicoTunnelIPIP?: string;
  calicoTunnelVXLAN?: string;
  /** flannel.alpha.coreos.com/public-ip, the VTEP peers send to. */
  flannelPublicIP?: string;
  flannelBackendType?: string;
}

export interface PodInfo {
  namespace: string;
  name: string;
  node?: string;
  ips: string[];
  hostNetwork: boolean;
  phase?: string;
  labels: Record<string, string>;
  /** Container images (spec.containers[].image): a CNI agent's tag says which version runs. */
  images: string[];
  /** Named container ports (spec.containers[].ports[] with a name): what a NetworkPolicy's named port means. */
  namedPorts: { name: string; port: number; protocol: string }[];
  /** Its containers' command and args, when any: a CNI agent's flags (kube-router's --enable-overlay). */
  args?: string[];
}

export interface ServicePortInfo {
  name?: string;
  protocol: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  type: string;
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
  ports: ServicePortInfo[];
  selector: Record<string, string>;
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
}

/** A Calico FelixConfiguration: the settings that choose felix's dataplane. */
export interface FelixConfigInfo {
  name: string;
  /** spec.nftablesMode: Enabled | Disabled | Auto (absent: felix's default). */
  nftablesMode?: string;
  /** spec.bpfEnabled. */
  bpfEnabled?: boolean;
  /** spec.wireguardEnabled and spec.wireguardListeningPort (absent: felix's default). */
  wireguardEnabled?: boolean;
  wireguardListeningPort?: number;
}

export interface IpPoolInfo {
  name: string;
  cidr: string;
  ipipMode: string; // Never | Always | CrossSubnet
  vxlanMode: string;
  natOutgoing: boolean;
  disabled: boolean;
  blockSize?: number;
  raw: KubeObject;
}

export interface BlockAffinityInfo {
  node: string;
  cidr: string;
  state?: string;
}

/** cilium.io/v2 CiliumNode: the pod CIDRs Cilium's cluster-pool IPAM gave the node. */
export interface CiliumNodeInfo {
  node: string;
  podCIDRs: string[];
}

export interface ConfigMapInfo {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

/** One EndpointSlice: the backends of a Service (discovery.k8s.io/v1). */
export interface EndpointSliceInfo {
  namespace: string;
  name: string;
  service: string;
  endpoints: { addresses: string[]; ready: boolean; node?: string; pod?: string }[];
  ports: { name?: string; port: number; protocol: string }[];
}

export interface ClusterInfo {
  nodes: NodeInfo[];
  pods: PodInfo[];
  services: ServiceInfo[];
  endpointSlices: EndpointSliceInfo[];
  /** The Service network from the API server's --service-cluster-ip-range (static pod), when visible. */
  serviceCidrs: { cidr: string; what: string }[];
  ipPools: IpPoolInfo[];
  blockAffinities: BlockAffinityInfo[];
  configMaps: ConfigMapInfo[];
  ciliumNodes: CiliumNodeInfo[];
  networkPolicies: NetworkPolicyInfo[];
  felixConfigurations: FelixConfigInfo[];
}

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(rec(v))) if (typeof x === 'string') out[k] = x;
  return out;
}
function strs(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === 'string');
}

export function nodeInfo(o: KubeObject): NodeInfo {
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const status = rec(o['status']);
  const addrs = arr(status['addresses']).map(rec);
  const annotations = strMap(meta['annotations']);
  const ready = arr(status['conditions'])
    .map(rec)
    .some((c) => c['type'] === 'Ready' && c['status'] === 'True');
  const podCIDRs = strs(spec['podCIDRs']);
  const single = str(spec['podCIDR']);
  if (podCIDRs.length === 0 && single !== undefined) podCIDRs.push(single);
  const n: NodeInfo = {
    name: str(meta['name']) ?? '',
    internalIPs: addrs
      .filter((a) => a['type'] === 'InternalIP')
      .map((a) => str(a['address']))
      .filter((a): a is string => a !== undefined),
    externalIPs: addrs
      .filter((a) => a['type'] === 'ExternalIP')
      .map((a) => str(a['address']))
      .filter((a): a is string => a !== undefined),
    podCIDRs,
    ready,
    annotations,
    labels: strMap(meta['labels']),
  };
  const set = (k: keyof NodeInfo, a: string) => {
    const v = annotations[a];
    if (v !== undefined) (n as unknown as Record<string, string>)[k] = v;
  };
  set('calicoIPv4', 'projectcalico.org/IPv4Address');
  set('calicoTunnelIPIP', 'projectcalico.org/IPv4IPIPTunnelAddr');
  set('calicoTunnelVXLAN', 'projectcalico.org/IPv4VXLANTunnelAddr');
  set('flannelPublicIP', 'flannel.alpha.coreos.com/public-ip');
  set('flannelBackendType', 'flannel.alpha.coreos.com/backend-type');
  return n;
}

export function podInfo(o: KubeObject): PodInfo {
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const status = rec(o['status']);
  const ips = arr(status['podIPs'])
    .map((x) => str(rec(x)['ip']))
    .filter((x): x is string => x !== undefined);
  const one = str(status['podIP']);
  if (ips.length === 0 && one !== undefined) ips.push(one);
  const p: PodInfo = {
    namespace: str(meta['namespace']) ?? 'default',
    name: str(meta['name']) ?? '',
    ips,
    hostNetwork: spec['hostNetwork'] === true,
    labels: strMap(meta['labels']),
    images: arr(spec['containers'])
      .map((c) => str(rec(c)['image']))
      .filter((x): x is string => x !== undefined),
    namedPorts: arr(spec['containers'])
      .flatMap((c) => arr(rec(c)['ports']).map(rec))
      .flatMap((x) => {
        const name = str(x['name']);
        const port = x['containerPort'];
        return name !== undefined && typeof port === 'number'
          ? [{ name, port, protocol: str(x['protocol']) ?? 'TCP' }]
          : [];
      }),
  };
  const args = arr(spec['containers']).flatMap((c) => [...strs(rec(c)['command']), ...strs(rec(c)['args'])]);
  if (args.length > 0) p.args = args;
  const node = str(spec['nodeName']);
  if (node !== undefined) p.node = node;
  const phase = str(status['phase']);
  if (phase !== undefined) p.phase = phase;
  return p;
}

export function serviceInfo(o: KubeObject): ServiceInfo {
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const status = rec(o['status']);
  const clusterIPs = strs(spec['clusterIPs']);
  const one = str(spec['clusterIP']);
  if (clusterIPs.length === 0 && one !== undefined && one !== 'None') clusterIPs.push(one);
  const s: ServiceInfo = {
    namespace: str(meta['namespace']) ?? 'default',
    name: str(meta['name']) ?? '',
    type: str(spec['type']) ?? 'ClusterIP',
    clusterIPs: clusterIPs.filter((c) => c !== 'None'),
    externalIPs: strs(spec['externalIPs']),
    loadBalancerIPs: arr(rec(status['loadBalancer'])['ingress'])
      .map((i) => str(rec(i)['ip']))
      .filter((x): x is string => x !== undefined),
    ports: arr(spec['ports'])
      .map(rec)
      .map((p) => {
        const port: ServicePortInfo = {
          protocol: str(p['protocol']) ?? 'TCP',
          port: typeof p['port'] === 'number' ? p['port'] : 0,
        };
        const name = str(p['name']);
        if (name !== undefined) port.name = name;
        const tp = p['targetPort'];
        if (typeof tp === 'number' || typeof tp === 'string') port.targetPort = tp;
        if (typeof p['nodePort'] === 'number') port.nodePort = p['nodePort'];
        return port;
      }),
    selector: strMap(spec['selector']),
  };
  const etp = str(spec['externalTrafficPolicy']);
  if (etp !== undefined) s.externalTrafficPolicy = etp;
  const itp = str(spec['internalTrafficPolicy']);
  if (itp !== undefined) s.internalTrafficPolicy = itp;
  return s;
}

export function ipPoolInfo(o: KubeObject): IpPoolInfo {
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const p: IpPoolInfo = {
    name: str(meta['name']) ?? '',
    cidr: str(spec['cidr']) ?? '',
    ipipMode: str(spec['ipipMode']) ?? (rec(spec['ipip'])['enabled'] === true ? 'Always' : 'Never'),
    vxlanMode: str(spec['vxlanMode']) ?? 'Never',
    natOutgoing: spec['natOutgoing'] === true || spec['nat-outgoing'] === true,
    disabled: spec['disabled'] === true,
    raw: o,
  };
  if (typeof spec['blockSize'] === 'number') p.blockSize = spec['blockSize'];
  return p;
}

export function blockAffinityInfo(o: KubeObject): BlockAffinityInfo {
  const spec = rec(o['spec']);
  const b: BlockAffinityInfo = { node: str(spec['node']) ?? '', cidr: str(spec['cidr']) ?? '' };
  const state = str(spec['state']);
  if (state !== undefined) b.state = state;
  return b;
}

export function endpointSliceInfo(o: KubeObject): EndpointSliceInfo {
  const meta = rec(o['metadata']);
  return {
    namespace: str(meta['namespace']) ?? 'default',
    name: str(meta['name']) ?? '',
    service: strMap(meta['labels'])['kubernetes.io/service-name'] ?? '',
    endpoints: arr(o['endpoints'])
      .map(rec)
      .map((e) => {
        // conditions.ready: nil means ready (discovery.k8s.io/v1 EndpointConditions).
        const ep: EndpointSliceInfo['endpoints'][number] = {
          addresses: strs(e['addresses']),
          ready: rec(e['conditions'])['ready'] !== false,
        };
        const node = str(e['nodeName']);
        if (node !== undefined) ep.node = node;
        const ref = rec(e['targetRef']);
        if (ref['kind'] === 'Pod' && typeof ref['name'] === 'string') ep.pod = ref['name'];
        return ep;
      }),
    ports: arr(o['ports'])
      .map(rec)
      .map((p) => {
        const port: EndpointSliceInfo['ports'][number] = {
          port: typeof p['port'] === 'number' ? p['port'] : 0,
          protocol: str(p['protocol']) ?? 'TCP',
        };
        const name = str(p['name']);
        if (name !== undefined && name !== '') port.name = name;
        return port;
      }),
  };
}

/** --service-cluster-ip-range of kube-apiserver pods (kubeadm runs it as a static pod in kube-system). */
export function serviceCidrsOf(pods: readonly KubeObject[]): { cidr: string; what: string }[] {
  const out: { cidr: string; what: string }[] = [];
  for (const o of pods) {
    const meta = rec(o['metadata']);
    const name = str(meta['name']) ?? '';
    if (str(meta['namespace']) !== 'kube-system' || !name.startsWith('kube-apiserver')) continue;
    for (const c of arr(rec(o['spec'])['containers']).map(rec)) {
      for (const a of [...strs(c['command']), ...strs(c['args'])]) {
        const m = /^--service-cluster-ip-range=(.+)$/.exec(a);
        if (m === null) continue;
        for (const cidr of m[1]!.split(','))
          if (!out.some((x) => x.cidr === cidr))
            out.push({ cidr, what: `Service network (kube-system/${name} --service-cluster-ip-range)` });
      }
    }
  }
  return out;
}

export function configMapInfo(o: KubeObject): ConfigMapInfo {
  const meta = rec(o['metadata']);
  return { namespace: str(meta['namespace']) ?? '', name: str(meta['name']) ?? '', data: strMap(o['data']) };
}

export function ciliumNodeInfo(o: KubeObject): CiliumNodeInfo {
  return {
    node: str(rec(o['metadata'])['name']) ?? '',
    podCIDRs: strs(rec(rec(o['spec'])['ipam'])['podCIDRs']),
  };
}

export function felixConfigInfo(o: KubeObject): FelixConfigInfo {
  const spec = rec(o['spec']);
  const f: FelixConfigInfo = { name: str(rec(o['metadata'])['name']) ?? '' };
  const mode = str(spec['nftablesMode']);
  if (mode !== undefined) f.nftablesMode = mode;
  if (typeof spec['bpfEnabled'] === 'boolean') f.bpfEnabled = spec['bpfEnabled'];
  if (typeof spec['wireguardEnabled'] === 'boolean') f.wireguardEnabled = spec['wireguardEnabled'];
  if (typeof spec['wireguardListeningPort'] === 'number') f.wireguardListeningPort = spec['wireguardListeningPort'];
  return f;
}

export function clusterInfo(objects: SnapshotObjects): ClusterInfo {
  return {
    nodes: objects.nodes.map(nodeInfo).filter((n) => n.name !== ''),
    pods: objects.pods.map(podInfo).filter((p) => p.name !== ''),
    services: objects.services.map(serviceInfo).filter((s) => s.name !== ''),
    endpointSlices: objects.endpointSlices.map(endpointSliceInfo).filter((e) => e.service !== ''),
    serviceCidrs: serviceCidrsOf(objects.pods),
    ipPools: objects.ipPools.map(ipPoolInfo).filter((p) => p.cidr !== ''),
    blockAffinities: objects.blockAffinities.map(blockAffinityInfo).filter((b) => b.cidr !== ''),
    configMaps: objects.configMaps.map(configMapInfo),
    ciliumNodes: objects.ciliumNodes.map(ciliumNodeInfo).filter((c) => c.node !== ''),
    networkPolicies: objects.networkPolicies.map(networkPolicyInfo).filter((p) => p.name !== ''),
    felixConfigurations: objects.felixConfigurations.map(felixConfigInfo).filter((f) => f.name !== ''),
  };
}
