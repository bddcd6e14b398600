// What felix's chains are called and what their comments say, in both of its dataplanes: iptables
// (cali-tw-<iface> in the filter table) and nftables, where one table `ip calico` holds every
// logical table and names each chain after it (felix/nftables/table_layer.go namespaceName:
// "filter-cali-tw-<iface>"). Rule comments: iptables `-m comment --comment "..."`; nftables one
// comment, "cali:<rule hash>; " then the rule's comments (felix/nftables/renderer.go comment).
// Policy chains carry the policy in their first rule's comment (felix/rules/policy.go):
// "Policy <ns>/knp.default.<name> ingress" up to v3.29 (knp.default. marks a Kubernetes
// NetworkPolicy), "<Kind> <ns>/<name> ingress" from v3.30.
import type { ClusterInfo } from '../cluster.ts';
import { isIptablesNftTable } from '../parse/nft.ts';
import type { HostState } from '../types.ts';
import type { Detected, EncryptedUnderlay } from './types.ts';

/** felix's nftables table and the prefix of its filter chains. */
export const FELIX_NFT_TABLE = { family: 'ip', name: 'calico', filterPrefix: 'filter-' } as const;

/** The chain's name as felix's rules renderer knows it (cali-tw-…), from either dataplane. */
function logical(chain: string, nft: boolean): string {
  return nft && chain.startsWith(FELIX_NFT_TABLE.filterPrefix)
    ? chain.slice(FELIX_NFT_TABLE.filterPrefix.length)
    : chain;
}

/** A workload endpoint's chain: cali-tw-<iface> (to the workload) or cali-fw-<iface> (from it). */
export function isWorkloadChain(chain: string, nft: boolean): boolean {
  return /^cali-[tf]w-/.test(logical(chain, nft));
}

/** A policy's chain (cali-pi-/cali-po-, ingress/egress). */
export function isPolicyChain(chain: string, nft: boolean): boolean {
  return /^cali-p[io]-/.test(logical(chain, nft));
}

/** The comments an nft rule of felix's carries, without the rule hash. */
export function felixNftComment(comment: string): string {
  return comment.replace(/^cali:[\w-]+;\s*/, '');
}

export interface CalicoPolicyId {
  /** KubernetesNetworkPolicy, NetworkPolicy (Calico's), GlobalNetworkPolicy, ... */
  kind: string;
  namespace?: string;
  name: string;
  direction: 'ingress' | 'egress';
}

/** The policy a felix comment names, in Kubernetes terms where it is a Kubernetes NetworkPolicy. */
export function parsePolicyComment(comment: string): CalicoPolicyId | undefined {
  const m = /^(Policy|[A-Za-z]+) (\S+) (ingress|egress)$/.exec(comment);
  if (m === null || m[1] === 'Profile') return undefined;
  const direction = m[3] as 'ingress' | 'egress';
  const id = m[2]!;
  const slash = id.indexOf('/');
  const namespace = slash < 0 ? undefined : id.slice(0, slash);
  let name = slash < 0 ? id : id.slice(slash + 1);
  let kind = m[1]!;
  if (kind === 'Policy') {
    // ≤ v3.29: names carry their tier; a Kubernetes NetworkPolicy is knp.default.<name>.
    if (name.startsWith('knp.default.')) {
      kind = 'KubernetesNetworkPolicy';
      name = name.slice('knp.default.'.length);
    } else kind = namespace === undefined ? 'GlobalNetworkPolicy' : 'NetworkPolicy';
  }
  return { kind, ...(namespace !== undefined ? { namespace } : {}), name, direction };
}

/**
 * Which dataplane felix programs: the nodes' own state first (felix's native table `ip calico`,
 * or its cali-FORWARD chain in iptables), then FelixConfiguration `default` (bpfEnabled;
 * nftablesMode Enabled/Disabled — Auto follows kube-proxy's mode at felix's start, which the
 * nodes' state shows; felix/config/config_params.go NFTablesMode).
 */
export function felixDataplane(cluster: ClusterInfo, hosts: readonly HostState[]): Detected<string> | undefined {
  const fc = cluster.felixConfigurations.find((f) => f.name === 'default');
  const because: string[] = [];
  if (fc?.bpfEnabled === true) return { value: 'ebpf', because: ['FelixConfiguration default: bpfEnabled: true'] };
  if (fc?.nftablesMode !== undefined) because.push(`FelixConfiguration default: nftablesMode: ${fc.nftablesMode}`);
  const native = hosts.filter((h) =>
    h.nft?.tables.some(
      (t) => t.family === FELIX_NFT_TABLE.family && t.name === FELIX_NFT_TABLE.name && !isIptablesNftTable(t),
    ),
  );
  if (native.length > 0)
    return {
      value: 'nftables',
      because: [...because, `nftables table ip calico on ${native.map((h) => h.name).join(', ')}`],
    };
  const ipt = hosts.filter((h) =>
    h.iptables.some((rs) => rs.tables.get('filter')?.chains.has('cali-FORWARD') === true),
  );
  if (ipt.length > 0)
    return {
      value: 'iptables',
      because: [...because, `iptables chain cali-FORWARD on ${ipt.map((h) => h.name).join(', ')}`],
    };
  if (fc?.nftablesMode === 'Enabled') return { value: 'nftables', because };
  if (fc?.nftablesMode === 'Disabled') return { value: 'iptables', because };
  return undefined;
}

/**
 * WireGuard, when FelixConfiguration `default` turns it on (spec.wireguardEnabled); felix listens
 * on spec.wireguardListeningPort, 51820 unless set (felix/config/config_params.go
 * `WireguardListeningPort int config:"int;51820"`, projectcalico/calico 87c15906). Open-source
 * Calico has no IPsec (felix has no such setting), so no ESP.
 */
export function felixWireguard(cluster: ClusterInfo): EncryptedUnderlay[] {
  const fc = cluster.felixConfigurations.find((f) => f.name === 'default');
  if (fc?.wireguardEnabled !== true) return [];
  const set = fc.wireguardListeningPort;
  return [
    {
      kind: 'wireguard',
      port: set ?? 51820,
      because: `FelixConfiguration default: wireguardEnabled: true, wireguardListeningPort: ${set ?? '51820 (felix default)'}`,
    },
  ];
}
