// Every node needs a route to every other node's pod blocks (missing: the BGP session or the CNI
// agent is down) and no blackhole for a block it does not own (Calico blackholes only its own
// blocks, so a stale one swallows a peer's pods).
import { renderRoute } from '../../model/render/iproute2.ts';
import { formatIpv4, parseCidr4 } from '../../lib/ipv4.ts';
import { fibLookup } from '../../engine/routing.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { tunnelOwner } from '../../model/cni/index.ts';
import { blockCidr, blockOf, ownershipObjects, podBlocks, podSide } from './ownership.ts';

export const podRoutesCheck: NodeScopeCheck = {
  name: 'pod-routes',
  describe: "routes to every other node's pod blocks; no blackhole for a block the node does not own",
  scope: 'node',
  emits: ['blackhole-foreign-block', 'missing-pod-route'],
  onPath: true,
  needs: (ctx) => ({ sections: ['ip-route', 'ip-rule', 'ip-addr'], objects: ownershipObjects(ctx) }),
  node(ctx, h, net) {
    const out: Finding[] = [];
    const blocks = podBlocks(ctx);
    if (blocks.length === 0) return out;
    const side = podSide(ctx, h.name);
    const cniDevice = (dev: string) => {
      const kind = net.links.get(dev)?.kind;
      return kind === 'ipip' || kind === 'vxlan' || tunnelOwner(dev) !== undefined || side.has(dev);
    };
    for (const r of h.routes) {
      if (r.type !== 'blackhole' && r.type !== 'unreachable' && r.type !== 'prohibit') continue;
      const b = blockOf(blocks, r.dst);
      if (b === undefined || b.node === h.name) continue;
      out.push(
        finding('blackhole-foreign-block', {
          node: h.name,
          summary: `${h.name} has a ${r.type} route for ${r.dst}, which is ${b.node}'s pod block: traffic from ${h.name} to ${b.node}'s pods is discarded`,
          evidence: [renderRoute(r), b.source],
          fix: `On ${h.name}: ip route del ${r.type} ${r.dst}; then look for a stale block affinity (calicoctl ipam check) so that it is not recreated.`,
        }),
      );
    }
    for (const b of blocks) {
      if (b.node === h.name) continue;
      const c = blockCidr(b);
      const probe = (c.net + (c.len < 32 ? 1 : 0)) >>> 0;
      const r = fibLookup(net, { dst: probe, src: 0, iif: 'lo', mark: 0, tos: 0 });
      const route = r.route;
      // A route as specific as the block, or a wider one into a tunnel or a pod-side device
      // (flannel's /16 on flannel.1, Cilium's cilium_host), is the CNI's design; the default
      // route or a LAN route is not.
      const len = route !== undefined ? parseCidr4(route.dst)!.len : 0;
      const specific = route !== undefined && len >= c.len;
      const viaCni = route?.dev !== undefined && len > 0 && cniDevice(route.dev);
      if (r.ok && route?.type === 'unicast' && (specific || viaCni)) continue;
      if (!r.ok && r.error !== 'no-route') continue; // a blackhole is reported above (or is this node's own)
      out.push(
        finding('missing-pod-route', {
          node: h.name,
          summary: r.ok
            ? `${h.name} has no route for ${b.node}'s pod block ${b.cidr}: traffic to ${formatIpv4(probe)} follows ${route!.dst === '0.0.0.0/0' ? 'the default route' : `the route ${route!.dst}`} instead`
            : `${h.name} has no route at all for ${b.node}'s pod block ${b.cidr}`,
          evidence: [b.source, ...(route !== undefined ? [`${h.name}: ${renderRoute(route)}`] : [])],
          fix: `Restore the CNI's route on ${h.name}: check its agent (calico-node: calicoctl node status for the BGP session to ${b.node}; flanneld; cilium-agent) — by hand: ip route add ${b.cidr} via <${b.node}'s address or VTEP> dev <tunnel or uplink> onlink.`,
        }),
      );
    }
    return out;
  },
};
