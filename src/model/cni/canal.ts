// Canal: flannel routes (flannel.1, subnet.env, node.spec.podCIDR under --kube-subnet-mgr), Calico's
// CNI plugin attaches the pods (cali* veths) with host-local IPAM: `"subnet": "usePodCidr"` in the
// Canal manifest, or the subnet written into the conflist (older installers, e.g. CDK's charm).
// flannel's lease is what the other nodes route to this one, so it is the authoritative range;
// a conflist subnet must agree with it (docs/incidents.md #6).
import type { ClusterInfo } from '../cluster.ts';
import type { HostState } from '../types.ts';
import { calico, calicoPluginIpam, calicoUnderlay, calicoVethName } from './calico.ts';
import { felixDataplane } from './calico-felix.ts';
import { configMap } from './common.ts';
import { flannel, flannelEncapsulation, flannelIpam, flannelUnderlay } from './flannel.ts';
import type { CniModule, Ipam } from './types.ts';

function detect(cluster: ClusterInfo, hosts: readonly HostState[]): string[] {
  if (configMap(cluster, 'canal-config') !== undefined) return ['ConfigMap canal-config'];
  const c = calico.detect(cluster, hosts);
  const f = flannel.detect(cluster, hosts);
  return c.length > 0 && f.length > 0 ? [...c, ...f] : [];
}

function ipam(cluster: ClusterInfo, hosts: readonly HostState[]): Ipam {
  const lease = flannelIpam(cluster, hosts);
  const plugin = calicoPluginIpam(cluster, hosts);
  return {
    mode: { value: plugin.mode.value, because: [...plugin.mode.because, ...lease.mode.because] },
    ranges: lease.ranges,
    usesNodePodCidr: lease.usesNodePodCidr || plugin.usesNodePodCidr,
  };
}

export const canal: CniModule = {
  name: 'canal',
  detect,
  combines: ['calico', 'flannel'],
  podDevice: calicoVethName,
  // Calico's felix checks tunnel sources against its all-hosts ipsets, built from IPv4Address.
  underlay: (n) => calicoUnderlay(n) ?? flannelUnderlay(n),
  tunnels: flannel.tunnels,
  // felix programs the dataplane, as in Calico.
  dataplane: felixDataplane,
  encapsulation: flannelEncapsulation,
  ipam,
  // The calico CNI plugin's fixed default route in every pod (cni-plugin/internal/pkg/utils/network_linux.go).
  podGateway: '169.254.1.1',
  networkPolicy: {
    enforces: true,
    ipBlockMatchesPods: true,
    how: "Canal's felix enforces NetworkPolicy as Calico does (cali-pi-*/cali-po-* iptables chains), over flannel's network",
  },
};
