// A pod's device MTU must not exceed the MTU of the tunnel its packets to other nodes take: a pod
// at 1500 behind a 1450 VXLAN device sends full-size packets the node must fragment, or drop with
// Don't Fragment (TCP sets it: ip_forward.c ip_exceeds_mtu) — and PMTU discovery then depends on
// ICMP getting back into the pod. The pod's own eth0 is not probed: the node-side end of its veth
// (and the bridge it hangs off) carries the MTU the CNI gave the pair (Calico's veth_mtu,
// flannel's FLANNEL_MTU through the bridge plugin, Canal's conflist mtu).
import { renderLink } from '../../model/render/iproute2.ts';
import type { Link } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import { podSide } from './ownership.ts';

/** Devices listed in the evidence at most; the summary counts them all. */
const SHOWN = 4;

export const podMtuCheck: NodeScopeCheck = {
  name: 'pod-mtu',
  describe: "pods' devices at most the MTU of the tunnel that carries their traffic",
  scope: 'node',
  emits: ['pod-mtu-above-tunnel'],
  onPath: true,
  needs: fixedNeeds(['ip-addr', 'ip-route'], ['pods']),
  node(ctx, h) {
    // Tunnels the node routes pod traffic into (a route leaves by them); an eBPF one has none.
    const tunnels = h.links.filter(
      (t) => (t.kind === 'vxlan' || t.kind === 'ipip') && t.up && h.routes.some((r) => r.dev === t.name),
    );
    if (tunnels.length === 0) return [];
    const side = podSide(ctx, h.name);
    const pods: Link[] = h.links.filter((l) => side.has(l.name) && (l.kind === 'veth' || l.kind === 'bridge'));
    return tunnels.flatMap((t) => {
      const above = pods.filter((l) => l.mtu > t.mtu);
      if (above.length === 0) return [];
      const mtus = [...new Set(above.map((l) => l.mtu))].sort((a, b) => b - a).join('/');
      return [
        finding('pod-mtu-above-tunnel', {
          node: h.name,
          summary: `${above.length} pod device(s) on ${h.name} have MTU ${mtus}, above ${t.name}'s ${t.mtu}: pods send packets up to ${above[0]!.mtu} bytes that ${t.name} cannot carry whole (${above
            .slice(0, SHOWN)
            .map((l) => l.name)
            .join(', ')}${above.length > SHOWN ? `, and ${above.length - SHOWN} more` : ''})`,
          evidence: [renderLink(t), ...above.slice(0, SHOWN).map(renderLink)],
          fix: `Give the pods the tunnel's MTU, ${t.mtu}, in the CNI's configuration (Calico: FelixConfiguration vxlanMTU/ipipMTU and the CNI's mtu, or leave both to auto-detection; flannel: FLANNEL_MTU follows the underlay; Canal: the conflist's mtu) and recreate the pods; the veth MTU is set when a pod is created.`,
        }),
      ];
    });
  },
};
