// Datapaths netcheck does not walk. Cilium's eBPF programs at the devices' tc hooks (and at the
// socket layer) load-balance Services, masquerade and filter host traffic before or instead of the
// kernel paths and iptables rules the engine models; walking such a node through its iptables
// alone would give answers that look sure and are not. Read from cilium-config (the agent's
// options, pkg/option/config.go). To be folded into the Cilium module of model/cni.
import type { ClusterInfo } from './cluster.ts';
import { configMap } from './detect.ts';

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

/** Why the nodes' datapath is not what the engine walks; empty when it is. Facts quoted as `cilium-config: key: value`. */
export function unmodelledDatapath(cluster: ClusterInfo): string[] {
  const cm = configMap(cluster, 'cilium-config');
  if (cm === undefined) return [];
  const out: string[] = [];
  for (const k of BPF_DATAPATH_KEYS) {
    const v = cm.data[k.key]?.trim().toLowerCase();
    if (v !== undefined && k.on(v)) out.push(`cilium-config: ${k.key}: ${cm.data[k.key]} (${k.what})`);
  }
  return out;
}
