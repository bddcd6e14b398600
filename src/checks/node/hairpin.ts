// Pods on a bridge with br_netfilter on reach themselves through a Service only if their port has
// hairpin mode: the DNATed frame is bridged back toward the port it came in on
// (engine/bridge.ts; net/bridge/br_forward.c should_deliver). The bridge plugin sets it with
// "hairpinMode": true (plugins/main/bridge: setupVeth → netlink.LinkSetHairpin).
import { bridgeCallsIptables } from '../../engine/kernel/sysctl.ts';
import { renderLink } from '../../model/render/iproute2.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';

export const hairpinCheck: NodeScopeCheck = {
  name: 'hairpin',
  describe: "bridged pods' ports have hairpin mode where br_netfilter bridges DNATed frames",
  scope: 'node',
  emits: ['hairpin-mode-off'],
  onPath: true,
  needs: fixedNeeds(['ip-addr', 'sysctl']),
  node(_ctx, h) {
    const b = bridgeCallsIptables(h.sysctls);
    if (b.value !== 1) return [];
    return h.links
      .filter((br) => br.kind === 'bridge')
      .flatMap((br) => {
        // Ports whose flag ip did not print are not judged.
        const ports = h.links.filter((p) => p.master === br.name && p.kind === 'veth' && p.bridgePort !== undefined);
        const off = ports.filter((p) => p.bridgePort?.hairpin === false);
        if (off.length === 0) return [];
        return [
          finding('hairpin-mode-off', {
            node: h.name,
            severity: 'warning',
            summary: `${off.length} of ${ports.length} pod port(s) on ${br.name} have hairpin off with br_netfilter on: a pod behind ${off.length === 1 ? 'it' : 'them'} cannot reach itself through a Service (${off.map((p) => p.name).join(', ')})`,
            evidence: [...b.lines, ...off.map(renderLink)],
            fix: `Set "hairpinMode": true in the bridge plugin's CNI configuration on ${h.name} (flannel: delegate.hairpinMode) and recreate the pods; at once: ${off.map((p) => `bridge link set dev ${p.name} hairpin on`).join('; ')}.`,
          }),
        ];
      });
  },
};
