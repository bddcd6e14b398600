// The fix of a no-neighbor finding fits what the next hop is: a pod's address is no VTEP and
// answers no ARP on a tunnel device, so the route (or the pod's veth and its CNI) is what is
// wrong there; a node's VTEP wants its neighbour and forwarding entries back; any other address
// must be present on the link.
import { formatIpv4 } from '../../lib/ipv4.ts';
import type { Hop } from '../../engine/trace.ts';
import type { AnalysisContext } from '../context.ts';
import { blockOf, nodeAddresses, podBlocks } from '../node/ownership.ts';

export function neighborFix(ctx: AnalysisContext, hop: Hop): string | undefined {
  if (hop.reason?.kind !== 'no-neighbor' || hop.reason.nextHop === undefined) return undefined;
  const nh = hop.reason.nextHop;
  const ip = formatIpv4(nh);
  const dev = hop.device ?? '<dev>';
  const pod = ctx.model.cluster.pods.find((p) => !p.hostNetwork && p.ips.includes(ip));
  if (pod !== undefined)
    return `${ip} is pod ${pod.namespace}/${pod.name}${pod.node !== undefined ? ` on ${pod.node}` : ''}, not a node's tunnel endpoint: no neighbour entry belongs there. Fix the route on ${hop.node} that sends via ${ip} out of ${dev} (ip route show dev ${dev}): it should point at the tunnel address of the node that holds the pod's block; the CNI agent (felix, flanneld) writes these routes, so restart it on ${hop.node} or correct its IPAM data. Check the pod's own side too: its route and veth on ${pod.node ?? 'its node'}.`;
  // A node's address, its VTEP address (Calico annotates it), or an address of its pod block
  // that no pod has (flannel's VTEP is the block's first address).
  const owner =
    ctx.model.cluster.nodes.find((n) => nodeAddresses(ctx, n.name).has(nh))?.name ??
    ctx.model.cluster.nodes.find((n) => Object.values(n.annotations).includes(ip))?.name ??
    blockOf(podBlocks(ctx), `${ip}/32`)?.node;
  if (owner !== undefined)
    return `${ip} is node ${owner}'s: ${hop.node} lacks the neighbour (ARP) or bridge forwarding entry that maps it to ${owner}'s VTEP on ${dev}. Restart the CNI agent on ${hop.node} (flanneld and felix write these entries), or add them: ip neigh replace ${ip} lladdr <${owner}'s ${dev} MAC> dev ${dev} nud permanent; bridge fdb append <that MAC> dev ${dev} dst <${owner}'s underlay IP>.`;
  return `${ip} is no node or pod of the cluster: check that a host holds it on the link behind ${dev} (arping -I ${dev} ${ip} on ${hop.node}), or fix the route on ${hop.node} that sends via it.`;
}
