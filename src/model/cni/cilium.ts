// Cilium (cilium/cilium). Devices: cilium_host/cilium_net, cilium_vxlan or cilium_geneve in tunnel
// mode, lxc* veths for pods. IPAM (cilium-config `ipam`): `kubernetes` takes node.spec.podCIDR;
// `cluster-pool` (the Helm default) has the operator carve per-node CIDRs out of
// cluster-pool-ipv4-cidr into CiliumNode spec.ipam.podCIDRs and ignores node.spec.podCIDR; cloud
// modes (eni, azure, alibabacloud) give pods addresses from the cloud's subnets.
// Renamed keys (cilium pkg/option/config.go by release): 1.10 introduced enable-ipv4-masquerade
// beside the old `masquerade`, which 1.11 no longer defines; 1.11 introduced
// ipv4-native-routing-cidr beside `native-routing-cidr`, removed in 1.12.
import type { ClusterInfo } from '../cluster.ts';
import type { HostState } from '../types.ts';
import { configMap, nodePodCidrs, podsNamed } from './common.ts';
import type { CniModule, Detected, EncryptedUnderlay, Encapsulation, IgnoredKey, Ipam, PodRange } from './types.ts';
import { atLeast, formatRelease, imageRelease } from './version.ts';
import type { Release } from './version.ts';

function detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[] {
  const because: string[] = [];
  if (configMap(cluster, 'cilium-config') !== undefined) because.push('ConfigMap cilium-config');
  if (podsNamed(cluster, 'cilium-') > 0) because.push('cilium pods');
  if (hosts.some((h) => h.links.some((l) => l.name === 'cilium_host'))) because.push('cilium_host device on the nodes');
  return because;
}

function encapsulation(cluster: ClusterInfo): Detected<Encapsulation> | undefined {
  const cfg = configMap(cluster, 'cilium-config');
  if (cfg === undefined) return undefined;
  const mode = cfg.data['routing-mode'] ?? (cfg.data['tunnel'] === 'disabled' ? 'native' : undefined);
  if (mode === 'native')
    return {
      value: 'none',
      because: [
        `cilium-config: ${cfg.data['routing-mode'] !== undefined ? 'routing-mode: native' : 'tunnel: disabled'}`,
      ],
    };
  const tunnel = cfg.data['tunnel-protocol'] ?? cfg.data['tunnel'];
  if (tunnel === undefined) return undefined;
  return { value: tunnel === 'vxlan' ? 'vxlan' : 'unknown', because: [`cilium-config: tunnel ${tunnel}`] };
}

function ciliumNodeRanges(cluster: ClusterInfo): PodRange[] {
  return cluster.ciliumNodes.flatMap((c) =>
    c.podCIDRs.map((cidr) => ({ node: c.node, cidr, source: `CiliumNode ${c.node}: spec.ipam.podCIDRs ${cidr}` })),
  );
}

function ipam(cluster: ClusterInfo): Ipam {
  const mode = configMap(cluster, 'cilium-config')?.data['ipam'];
  if (mode === undefined)
    return {
      mode: { value: 'unknown', because: ['cilium-config has no ipam key'] },
      ranges: ciliumNodeRanges(cluster),
      usesNodePodCidr: false,
    };
  const because = [`cilium-config: ipam: ${mode}`];
  if (mode === 'kubernetes')
    return { mode: { value: mode, because }, ranges: nodePodCidrs(cluster), usesNodePodCidr: true };
  return { mode: { value: mode, because }, ranges: ciliumNodeRanges(cluster), usesNodePodCidr: false };
}

/** The running release: the cilium agent's image tag, else a lower bound from keys only newer releases write. */
export function ciliumRelease(cluster: ClusterInfo): Release | undefined {
  for (const p of cluster.pods) {
    if (p.labels['k8s-app'] !== 'cilium' && !/^cilium-[a-z0-9]{5}$/.test(p.name)) continue;
    for (const image of p.images) {
      const r = imageRelease(image);
      // The agent's image is …/cilium/cilium (the operator's is …/cilium/operator-generic).
      const repo = image.split('@')[0]!.replace(/:[^/:]*$/, '');
      if (r !== undefined && /(^|\/)cilium$/.test(repo))
        return { ...r, exact: true, because: `Pod ${p.namespace}/${p.name}: image ${image}` };
    }
  }
  const data = configMap(cluster, 'cilium-config')?.data ?? {};
  const bounds: [string, number][] = [
    ['routing-mode', 14],
    ['ipv4-native-routing-cidr', 11],
    ['enable-ipv4-masquerade', 10],
  ];
  for (const [key, minor] of bounds)
    if (data[key] !== undefined)
      return {
        major: 1,
        minor,
        exact: false,
        because: `cilium-config sets ${key}, which Cilium reads from 1.${minor}`,
      };
  return undefined;
}

interface Rename {
  old: string;
  current: string;
  /** The release that introduced `current` (and deprecated `old`), and the one that stopped reading `old`. */
  renamedIn: number;
  removedIn: number;
  /** `current`'s default when it is not set. */
  default: string;
}

const RENAMES: readonly Rename[] = [
  { old: 'masquerade', current: 'enable-ipv4-masquerade', renamedIn: 10, removedIn: 11, default: 'true' },
  {
    old: 'native-routing-cidr',
    current: 'ipv4-native-routing-cidr',
    renamedIn: 11,
    removedIn: 12,
    default: '(none: only the node’s own pod CIDR is excluded from masquerading)',
  },
];

/**
 * A renamed key is worth a warning only when the running release ignores it *and* it says
 * something else than the value in effect: set beside a current key that disagrees, or alone on
 * a release that no longer reads it and with a value other than the default. A release that
 * still reads it (before the rename, or during the deprecation) uses it as written.
 */
function ignoredKeys(cluster: ClusterInfo): IgnoredKey[] {
  const cfg = configMap(cluster, 'cilium-config');
  if (cfg === undefined) return [];
  const release = ciliumRelease(cluster);
  const where = `ConfigMap ${cfg.namespace}/cilium-config`;
  const out: IgnoredKey[] = [];
  for (const r of RENAMES) {
    const oldValue = cfg.data[r.old];
    if (oldValue === undefined) continue;
    if (release?.exact === true && !atLeast(release, 1, r.renamedIn)) continue;
    const currentValue = cfg.data[r.current];
    const version: Detected<string> =
      release === undefined
        ? { value: 'unknown', because: [] }
        : { value: formatRelease(release), because: [release.because] };
    const base = { where, old: r.old, oldValue, current: r.current, version };
    const fix = `kubectl -n ${cfg.namespace} edit configmap cilium-config: set ${r.current}: ${JSON.stringify(oldValue)} if that is what is meant, and remove ${r.old}; then restart the Cilium agents (kubectl -n ${cfg.namespace} rollout restart ds/cilium).`;
    if (currentValue !== undefined) {
      if (currentValue === oldValue) continue;
      out.push({
        ...base,
        currentValue,
        effective: currentValue,
        why: `${r.current} replaced ${r.old} in Cilium 1.${r.renamedIn}; where both are set only ${r.current} counts, so ${r.old}: ${JSON.stringify(oldValue)} changes nothing`,
        fix,
      });
      continue;
    }
    if (release === undefined || !atLeast(release, 1, r.removedIn) || oldValue === r.default) continue;
    out.push({
      ...base,
      effective: r.default,
      why: `Cilium ${formatRelease(release)} no longer reads ${r.old} (removed in 1.${r.removedIn}) and ${r.current} is not set, so its default applies`,
      fix,
    });
  }
  return out;
}

/** kube-proxy-replacement: true (1.14+) or strict (before): Cilium's eBPF handles Services. */
function replacesKubeProxy(cluster: ClusterInfo): Detected<boolean> {
  const kpr = configMap(cluster, 'cilium-config')?.data['kube-proxy-replacement'];
  return {
    value: kpr === 'true' || kpr === 'strict',
    because: kpr === undefined ? [] : [`cilium-config: kube-proxy-replacement: ${kpr}`],
  };
}

/**
 * Keys Cilium renamed; the old name was read for a while after the rename and later ignored
 * (cilium/pkg/option/config.go; upgrade notes of 1.10/1.11: masquerade → enable-ipv4-masquerade,
 * native-routing-cidr → ipv4-native-routing-cidr; 1.14: tunnel → routing-mode/tunnel-protocol).
 */
const DEPRECATED_KEYS: Readonly<Record<string, string>> = {
  masquerade: 'replaced by enable-ipv4-masquerade',
  'native-routing-cidr': 'replaced by ipv4-native-routing-cidr',
  tunnel: 'replaced by routing-mode and tunnel-protocol',
};

/** The cilium-config keys that decide whether and where pod egress is masqueraded. */
const MASQUERADE_KEYS = [
  'enable-ipv4-masquerade',
  'masquerade',
  'enable-bpf-masquerade',
  'ipv4-native-routing-cidr',
  'native-routing-cidr',
  'routing-mode',
  'tunnel',
];

function masqueradeConfig(cluster: ClusterInfo): string[] {
  const cfg = configMap(cluster, 'cilium-config');
  if (cfg === undefined) return [];
  const where = `ConfigMap ${cfg.namespace}/cilium-config`;
  const out = MASQUERADE_KEYS.filter((k) => cfg.data[k] !== undefined).map(
    (k) =>
      `${where}: ${k}: ${JSON.stringify(cfg.data[k])}${DEPRECATED_KEYS[k] !== undefined ? ` (deprecated: ${DEPRECATED_KEYS[k]})` : ''}`,
  );
  if (cfg.data['enable-ipv4-masquerade'] === undefined && cfg.data['masquerade'] === undefined)
    out.push(`${where}: enable-ipv4-masquerade not set (Cilium's default is true)`);
  return out;
}

/** cilium-config keys whose "on" value moves a part of the datapath into eBPF. */
const BPF_DATAPATH_KEYS: readonly { key: string; on: (v: string) => boolean; what: string }[] = [
  {
    key: 'kube-proxy-replacement',
    // "true"/"strict" replace kube-proxy entirely; the older "partial"/"probe" replace parts of it.
    on: (v) => !['', 'false', 'disabled'].includes(v),
    what: 'Services are load-balanced by eBPF, not by iptables or IPVS',
  },
  { key: 'enable-bpf-masquerade', on: (v) => v === 'true', what: 'masquerading is done by eBPF, not by iptables' },
  {
    key: 'enable-host-firewall',
    on: (v) => v === 'true',
    what: 'host traffic is filtered by eBPF host policies, not only by iptables',
  },
];

/** The parts of the datapath this node's Cilium runs in eBPF (pkg/option/config.go), quoted as `cilium-config: key: value (what)`. */
function unmodelledDatapath(cluster: ClusterInfo): string[] {
  const cm = configMap(cluster, 'cilium-config');
  if (cm === undefined) return [];
  const out: string[] = [];
  for (const k of BPF_DATAPATH_KEYS) {
    const v = cm.data[k.key]?.trim().toLowerCase();
    if (v !== undefined && k.on(v)) out.push(`cilium-config: ${k.key}: ${cm.data[k.key]} (${k.what})`);
  }
  return out;
}

/**
 * cilium-config `enable-wireguard` (the agent's WireGuard listens on UDP 51871, fixed:
 * pkg/wireguard/agent/agent.go `listenPort = 51871`) and `enable-ipsec` (ESP between the nodes;
 * the option names in pkg/option/config.go).
 */
function encryptedUnderlay(cluster: ClusterInfo): EncryptedUnderlay[] {
  const data = configMap(cluster, 'cilium-config')?.data ?? {};
  const out: EncryptedUnderlay[] = [];
  if (data['enable-wireguard'] === 'true')
    out.push({
      kind: 'wireguard',
      port: 51871,
      because: 'cilium-config: enable-wireguard: true (cilium_wg0 on UDP 51871)',
    });
  if (data['enable-ipsec'] === 'true') out.push({ kind: 'esp', because: 'cilium-config: enable-ipsec: true' });
  return out;
}

export const cilium: CniModule = {
  name: 'cilium',
  detect,
  encryptedUnderlay,
  replacesKubeProxy,
  tunnels: { cilium_vxlan: 'vxlan', cilium_geneve: 'unknown' },
  encapsulation,
  ipam,
  ignoredKeys,
  masqueradeConfig,
  unmodelledDatapath,
  networkPolicy: {
    enforces: true,
    ipBlockMatchesPods: false,
    how: 'cilium-agent enforces NetworkPolicy in its eBPF programs (not iptables); its CIDR rules (ipBlock) apply to peers outside the cluster, not to pod addresses',
  },
};
