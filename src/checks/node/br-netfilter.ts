// Pods on a Linux bridge (flannel's cni0, the bridge plugin): without br_netfilter, traffic between
// pods of one node is switched by the bridge and never meets iptables (Service DNAT replies,
// NetworkPolicies). Kernel: net/bridge/br_netfilter_hooks.c, sysctl bridge-nf-call-iptables.
import { renderLink } from '../../model/render/iproute2.ts';
import { bridgeCallsIptables } from '../../engine/kernel/sysctl.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';

export const brNetfilterCheck: NodeScopeCheck = {
  name: 'br-netfilter',
  describe: 'bridged pods pass through iptables (br_netfilter loaded, bridge-nf-call-iptables = 1)',
  scope: 'node',
  emits: ['br-netfilter-missing'],
  onPath: true,
  needs: fixedNeeds(['ip-addr', 'sysctl']),
  node(_ctx, h) {
    const bridges = h.links.filter(
      (l) => l.kind === 'bridge' && h.links.some((p) => p.master === l.name && p.kind === 'veth'),
    );
    if (bridges.length === 0) return [];
    const b = bridgeCallsIptables(h.sysctls);
    if (b.value === 1) return [];
    return [
      finding('br-netfilter-missing', {
        node: h.name,
        summary: `${h.name} bridges pods on ${bridges.map((l) => l.name).join(', ')} but ${h.sysctls.has('net.bridge.bridge-nf-call-iptables') ? 'net.bridge.bridge-nf-call-iptables is 0' : 'br_netfilter is not loaded'}: traffic between its pods bypasses iptables`,
        evidence: [...bridges.map((l) => renderLink(l)), ...b.lines],
        fix: `On ${h.name}: modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1 (persist in /etc/modules-load.d/ and /etc/sysctl.d/).`,
      }),
    ];
  },
};
