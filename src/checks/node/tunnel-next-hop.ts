// Tunnel routes must point at the node that owns the block (docs/incidents.md #2): for IPIP the gateway
// is the owner's underlay address; for VXLAN it is the owner's VTEP address, whose neighbour and
// fdb entries must lead to the owner's underlay address.
import { text, texts } from '../../model/render/said.ts';
import { renderRoute } from '../../model/render/iproute2.ts';
import { formatIpv4, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import { outerAddresses } from '../../engine/tunnel.ts';
import type { WideScopeCheck } from '../check.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import {
  blockOf,
  blocksOfNode,
  hostOwning,
  knownUnderlay,
  nodeAddresses,
  nodeInfo,
  ownershipObjects,
  podBlocks,
} from './ownership.ts';

/** A tunnel route's next hop is resolved through the node's devices, neighbours and VXLAN fdb. */
export const TUNNEL_SECTIONS = ['ip-route', 'ip-rule', 'ip-addr', 'ip-neigh', 'bridge-fdb'] as const;

/** What `ip` is, in words: a node's address, a pod's, or unknown. */
function whoIs(ctx: AnalysisContext, ip: string): string {
  const a = parseIpv4(ip)!;
  const host = hostOwning(ctx, a);
  if (host !== undefined) return `an address of ${host}`;
  const n = ctx.model.cluster.nodes.find((x) => nodeAddresses(ctx, x.name).has(a));
  if (n !== undefined) return `an address of ${n.name}`;
  const pod = ctx.model.cluster.pods.find((p) => !p.hostNetwork && p.ips.includes(ip));
  if (pod !== undefined) return `the address of pod ${pod.namespace}/${pod.name}`;
  const b = blockOf(podBlocks(ctx), `${ip}/32`);
  if (b !== undefined) return `an address in ${b.node}'s pod block ${b.cidr}`;
  return 'an address no node owns';
}

const gatewaysByCtx = new WeakMap<AnalysisContext, Map<string, ReadonlySet<number>>>();

/** Addresses a route through a tunnel may name as next hop for blocks of `owner`; once per owner and kind. */
function acceptableGateways(ctx: AnalysisContext, owner: string, kind: 'ipip' | 'vxlan'): ReadonlySet<number> {
  let m = gatewaysByCtx.get(ctx);
  if (m === undefined) gatewaysByCtx.set(ctx, (m = new Map()));
  const key = `${kind} ${owner}`;
  let out = m.get(key);
  if (out === undefined) m.set(key, (out = gatewaysOf(ctx, owner, kind)));
  return out;
}

function gatewaysOf(ctx: AnalysisContext, owner: string, kind: 'ipip' | 'vxlan'): Set<number> {
  const out = new Set<number>();
  const n = nodeInfo(ctx, owner);
  if (kind === 'ipip') {
    for (const a of nodeAddresses(ctx, owner)) out.add(a);
    return out;
  }
  const vtep = n?.calicoTunnelVXLAN !== undefined ? parseIpv4(n.calicoTunnelVXLAN.split('/')[0]!) : undefined;
  if (vtep !== undefined) out.add(vtep);
  // flannel's VTEP address is the network address of the node's subnet, on flannel.1 (/32).
  for (const b of blocksOfNode(ctx, owner)) out.add(parseCidr4(b.cidr)!.net);
  const h = ctx.world.hosts.get(owner);
  for (const l of h?.linkOrder ?? [])
    if (l.kind === 'vxlan') for (const a of h!.addresses.get(l.name) ?? []) out.add(a.local);
  return out;
}

export const tunnelNextHopCheck: WideScopeCheck = {
  name: 'tunnel-next-hop',
  describe: 'every route through a tunnel device leads to the node that owns its pod block',
  scope: 'pair',
  emits: ['tunnel-next-hop-wrong'],
  onPath: true,
  needs: (ctx) => ({ sections: TUNNEL_SECTIONS, objects: ownershipObjects(ctx) }),
  run(ctx) {
    const out: Finding[] = [];
    const blocks = podBlocks(ctx);
    if (blocks.length === 0) return out;
    for (const h of ctx.judged.values()) {
      const net = ctx.world.hosts.get(h.name)!;
      for (const r of h.routes) {
        if (r.type !== 'unicast' || r.gateway === undefined || r.dev === undefined) continue;
        const link = net.links.get(r.dev);
        if (link?.kind !== 'ipip' && link?.kind !== 'vxlan') continue;
        const kind = link.kind;
        const block = blockOf(blocks, r.dst);
        if (block === undefined || block.node === h.name) continue;
        const gw = parseIpv4(r.gateway);
        if (gw === undefined) continue;
        const owner = block.node;
        const ownerUnderlay = nodeInfo(ctx, owner) !== undefined ? knownUnderlay(nodeInfo(ctx, owner)!) : undefined;
        const ok = acceptableGateways(ctx, owner, kind);
        // The owner's own tunnel addresses are among the acceptable ones: without its devices
        // (a probed owner whose ip-addr is missing) a gateway cannot be called wrong.
        const ownerKnown = !ctx.model.hosts.has(owner) || ctx.has(owner, ['ip-addr']);
        if (!ok.has(gw) && !ownerKnown) continue;
        if (!ok.has(gw)) {
          const expected =
            kind === 'ipip'
              ? ownerUnderlay?.ip
              : (nodeInfo(ctx, owner)?.calicoTunnelVXLAN?.split('/')[0] ?? [...ok].map(formatIpv4)[0]);
          out.push(
            finding('tunnel-next-hop-wrong', {
              node: h.name,
              summary: `on ${h.name}, the route to ${owner}'s pod block ${r.dst} goes through ${r.dev} to ${r.gateway}, which is ${whoIs(ctx, r.gateway)}, not ${owner}${expected !== undefined ? ` (${expected})` : ''}`,
              evidence: [renderRoute(r), block.source, ...(ownerUnderlay !== undefined ? [ownerUnderlay.source] : [])],
              ...(expected !== undefined
                ? {
                    fix: `On ${h.name}: ip route replace ${r.dst} via ${expected} dev ${r.dev} onlink${r.protocol !== 'boot' ? ` proto ${r.protocol}` : ''} — then find why the CNI wrote the wrong next hop (BGP peer, stale route after an address change) or it comes back.`,
                  }
                : {}),
            }),
          );
          continue;
        }
        if (kind !== 'vxlan') continue;
        // The VTEP is right; its neighbour and fdb entries must lead to the owner's underlay address.
        const outer = outerAddresses(net, r.dev, gw);
        if (outer.dst === undefined) {
          out.push(
            finding('tunnel-next-hop-wrong', {
              node: h.name,
              summary: `on ${h.name}, ${r.dev} cannot encapsulate traffic for ${owner}'s block ${r.dst}: ${outer.problem !== undefined ? text(outer.problem) : 'no remote VTEP'}`,
              evidence: [renderRoute(r), ...texts(outer.evidence)],
              fix: `Restart the CNI agent on ${h.name} (it writes the neighbour and fdb entries of every peer), or add them by hand: ip neigh replace ${r.gateway} lladdr <${owner}'s VTEP MAC> dev ${r.dev} nud permanent; bridge fdb append <that MAC> dev ${r.dev} dst ${ownerUnderlay?.ip ?? `<${owner}'s address>`}.`,
            }),
          );
          continue;
        }
        const ownerAddrs = nodeAddresses(ctx, owner);
        if (!ownerAddrs.has(outer.dst) && hostOwning(ctx, outer.dst) !== owner && ownerKnown) {
          out.push(
            finding('tunnel-next-hop-wrong', {
              node: h.name,
              summary: `on ${h.name}, VXLAN traffic for ${owner}'s block ${r.dst} is sent to VTEP ${formatIpv4(outer.dst)}, which is ${whoIs(ctx, formatIpv4(outer.dst))}, not ${owner}${ownerUnderlay !== undefined ? ` (${ownerUnderlay.ip})` : ''}`,
              evidence: [
                renderRoute(r),
                ...texts(outer.evidence),
                block.source,
                ...(ownerUnderlay !== undefined ? [ownerUnderlay.source] : []),
              ],
              fix: `On ${h.name}: bridge fdb replace <MAC of ${r.gateway}> dev ${r.dev} dst ${ownerUnderlay?.ip ?? `<${owner}'s address>`} (or restart the CNI agent there).`,
            }),
          );
        }
      }
    }
    return out;
  },
};
