// A routed pod (Calico's veth, no bridge) reaches its node through a fixed gateway address the node
// answers by proxy ARP (Calico: 169.254.1.1 on every cali* device). The kernel answers such a
// request only when it routes the requested address, out of another device (net/ipv4/arp.c,
// arp_process → arp_fwd_proxy): a node that routes nothing for the gateway — no default route —
// leaves its pods unable to send anything at all.
import { formatIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { HostNet } from './host-net.ts';
import { proxyArp } from './kernel/sysctl.ts';
import { fibLookup, routeUsesDev } from './routing.ts';

/** Why the pod behind `dev` cannot resolve `gateway`, with the lines that say so; undefined: it can (or it is not proxy ARP's job). */
export function unresolvedPodGateway(
  node: HostNet,
  dev: string,
  podIp: Ipv4,
  gateway: Ipv4 | undefined,
): { why: string; evidence: string[] } | undefined {
  if (gateway === undefined || !proxyArp(node.state.sysctls, dev)) return undefined;
  const r = fibLookup(node, { dst: gateway, src: podIp, iif: dev, mark: 0, tos: 0 });
  if (r.ok && r.route.type === 'unicast' && !routeUsesDev(r.route, dev)) return undefined;
  const gw = formatIpv4(gateway);
  return {
    why: `the pod cannot resolve its gateway ${gw}: ${node.name} answers ARP for it on ${dev} by proxy_arp only when it routes ${gw} out of another device, and ${r.ok ? `its route for ${gw} is ${r.route.type === 'unicast' ? `on ${dev} itself` : `of type ${r.route.type}`}` : `it has no route for ${gw} (no default route)`}`,
    evidence: [
      `net.ipv4.conf.${dev.replace('.', '/')}.proxy_arp = 1 (or conf.all)`,
      `ip route get ${gw} from ${formatIpv4(podIp)} iif ${dev}: ${r.ok ? r.route.type : 'network unreachable'}`,
    ],
  };
}
