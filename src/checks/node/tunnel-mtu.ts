// A tunnel device's MTU plus the encapsulation header must fit the underlay device's MTU, or
// large packets are fragmented or dropped while small ones work. Overheads: IPIP adds an IPv4
// header (20 bytes); VXLAN adds outer IPv4 + UDP + VXLAN + inner Ethernet (20 + 8 + 8 + 14 = 50).
import { renderLink } from '../../model/render/iproute2.ts';
import { parseIpv4 } from '../../lib/ipv4.ts';
import { fibLookup } from '../../engine/routing.ts';
import type { NodeInfo } from '../../model/cluster.ts';
import type { Link } from '../../model/types.ts';
import type { HostNet } from '../../engine/host-net.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

const OVERHEAD: Partial<Record<Link['kind'], number>> = { ipip: 20, vxlan: 50 };

/**
 * The device encapsulated packets leave by: the tunnel's bound device, else the route to a peer's
 * underlay address (the first that has one; peers read in place, not listed per node: N² addresses).
 */
function underlayDevice(h: HostNet, tunnel: Link, nodes: readonly NodeInfo[]): string | undefined {
  const bound = tunnel.vxlan?.link ?? tunnel.ipip?.link;
  if (bound !== undefined) return bound;
  for (const n of nodes) {
    if (n.name === h.name) continue;
    for (const p of n.internalIPs) {
      const ip = parseIpv4(p);
      if (ip === undefined) continue;
      const r = fibLookup(h, { dst: ip, src: 0, iif: 'lo', mark: 0, tos: 0 });
      if (r.ok && r.route.type === 'unicast') return r.route.dev ?? r.route.nexthops[0]?.dev;
    }
  }
  return undefined;
}

export const tunnelMtuCheck: NodeScopeCheck = {
  name: 'tunnel-mtu',
  describe: 'tunnel MTU + encapsulation overhead fits the underlay MTU',
  scope: 'node',
  emits: ['tunnel-mtu'],
  onPath: true,
  needs: fixedNeeds(['ip-addr', 'ip-route', 'ip-rule'], ['nodes']),
  node(ctx, h, net) {
    const out: Finding[] = [];
    for (const t of h.links) {
      const overhead = OVERHEAD[t.kind];
      if (overhead === undefined || !t.up) continue;
      const dev = underlayDevice(net, t, ctx.model.cluster.nodes);
      const under = dev === undefined ? undefined : h.links.find((l) => l.name === dev);
      if (under === undefined || t.mtu + overhead <= under.mtu) continue;
      out.push(
        finding('tunnel-mtu', {
          node: h.name,
          summary: `${t.name} on ${h.name} has MTU ${t.mtu}; with ${overhead} bytes of ${t.kind.toUpperCase()} overhead its packets need ${t.mtu + overhead}, but ${under.name} carries ${under.mtu}`,
          evidence: [renderLink(t), renderLink(under)],
          fix: `Set the tunnel MTU to at most ${under.mtu - overhead} (ip link set ${t.name} mtu ${under.mtu - overhead}, and in the CNI's configuration so it stays).`,
        }),
      );
    }
    return out;
  },
};
