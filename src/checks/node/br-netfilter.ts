// Pods on a Linux bridge (flannel's cni0, the bridge plugin): without br_netfilter, traffic between
// pods of one node is switched by the bridge and never meets iptables (Service DNAT replies,
// NetworkPolicies). Kernel: net/bridge/br_netfilter_hooks.c, sysctl bridge-nf-call-iptables.
import { renderLink } from '../../model/render/iproute2.ts';
import { bridgeCallsIptables } from '../../engine/kernel/sysctl.ts';
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import type { NodeCheck } from './types.ts';

export const brNetfilterCheck: NodeCheck = {
  name: 'br-netfilter',
  describe: 'bridged pods pass through iptables (br_netfilter loaded, bridge-nf-call-iptables = 1)',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.model.hosts.values()) {
      const bridges = h.links.filter(
        (l) => l.kind === 'bridge' && h.links.some((p) => p.master === l.name && p.kind === 'veth'),
      );
      if (bridges.length === 0) continue;
      const b = bridgeCallsIptables(h.sysctls);
      if (b.value === 1) continue;
      out.push({
        id: 'br-netfilter-missing',
        severity: 'warning',
        node: h.name,
        summary: `${h.name} bridges pods on ${bridges.map((l) => l.name).join(', ')} but ${h.sysctls.has('net.bridge.bridge-nf-call-iptables') ? 'net.bridge.bridge-nf-call-iptables is 0' : 'br_netfilter is not loaded'}: traffic between its pods bypasses iptables`,
        evidence: [...bridges.map((l) => renderLink(l)), ...b.lines],
        why: FINDINGS['br-netfilter-missing'].meaning,
        fix: `On ${h.name}: modprobe br_netfilter; sysctl -w net.bridge.bridge-nf-call-iptables=1 (persist in /etc/modules-load.d/ and /etc/sysctl.d/).`,
      });
    }
    return out;
  },
};
