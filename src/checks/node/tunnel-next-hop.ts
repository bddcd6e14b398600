// Tunnel routes must point at the node that owns the block (docs/incidents.md #2): for IPIP the gateway
// is the owner's underlay address; for VXLAN it is the owner's VTEP address, whose neighbour and
// fdb entries must lead to the owner's underlay address.
import { text, texts } from '../../model/render/said.ts';
import { renderRoute } from '../../model/render/iproute2.ts';
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import { outerAddresses, outerEnds } from '../../engine/tunnel.ts';
import type { HostNet } from '../../engine/host-net.ts';
import type { Route } from '../../model/types.ts';
import type { WideScopeCheck } from '../check.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import type { Block } from './ownership.ts';
import {
  blockCidr,
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

const gatewaysByCtx = new WeakMap<AnalysisContext, Record<'ipip' | 'vxlan', Map<string, ReadonlySet<number>>>>();

/** Addresses a route through a tunnel may name as next hop for blocks of `owner`; once per owner and kind. */
function acceptableGateways(ctx: AnalysisContext, owner: string, kind: 'ipip' | 'vxlan'): ReadonlySet<number> {
  let m = gatewaysByCtx.get(ctx);
  if (m === undefined) gatewaysByCtx.set(ctx, (m = { ipip: new Map(), vxlan: new Map() }));
  let out = m[kind].get(owner);
  if (out === undefined) m[kind].set(owner, (out = gatewaysOf(ctx, owner, kind)));
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
  for (const b of blocksOfNode(ctx, owner)) out.add(blockCidr(b).net);
  const h = ctx.world.hosts.get(owner);
  for (const l of h?.linkOrder ?? [])
    if (l.kind === 'vxlan') for (const a of h!.addresses.get(l.name) ?? []) out.add(a.local);
  return out;
}

/** The underlay address peers know `owner` by, with its source. */
function underlayOf(ctx: AnalysisContext, owner: string): { ip: string; source: string } | undefined {
  const n = nodeInfo(ctx, owner);
  return n !== undefined ? knownUnderlay(n) : undefined;
}

function wrongGateway(
  ctx: AnalysisContext,
  node: string,
  r: Route,
  block: Block,
  kind: 'ipip' | 'vxlan',
  ok: ReadonlySet<number>,
): Finding {
  const owner = block.node;
  const ownerUnderlay = underlayOf(ctx, owner);
  const expected =
    kind === 'ipip'
      ? ownerUnderlay?.ip
      : (nodeInfo(ctx, owner)?.calicoTunnelVXLAN?.split('/')[0] ?? [...ok].map(formatIpv4)[0]);
  return finding('tunnel-next-hop-wrong', {
    node,
    summary: `on ${node}, the route to ${owner}'s pod block ${r.dst} goes through ${r.dev} to ${r.gateway}, which is ${whoIs(ctx, r.gateway!)}, not ${owner}${expected !== undefined ? ` (${expected})` : ''}`,
    evidence: [renderRoute(r), block.source, ...(ownerUnderlay !== undefined ? [ownerUnderlay.source] : [])],
    ...(expected !== undefined
      ? {
          fix: `On ${node}: ip route replace ${r.dst} via ${expected} dev ${r.dev} onlink${r.protocol !== 'boot' ? ` proto ${r.protocol}` : ''} — then find why the CNI wrote the wrong next hop (BGP peer, stale route after an address change) or it comes back.`,
        }
      : {}),
  });
}

function cannotEncapsulate(ctx: AnalysisContext, node: string, net: HostNet, r: Route, owner: string): Finding {
  const outer = outerAddresses(net, r.dev!, parseIpv4(r.gateway!)!);
  return finding('tunnel-next-hop-wrong', {
    node,
    summary: `on ${node}, ${r.dev} cannot encapsulate traffic for ${owner}'s block ${r.dst}: ${outer.problem !== undefined ? text(outer.problem) : 'no remote VTEP'}`,
    evidence: [renderRoute(r), ...texts(outer.evidence)],
    fix: `Restart the CNI agent on ${node} (it writes the neighbour and fdb entries of every peer), or add them by hand: ip neigh replace ${r.gateway} lladdr <${owner}'s VTEP MAC> dev ${r.dev} nud permanent; bridge fdb append <that MAC> dev ${r.dev} dst ${underlayOf(ctx, owner)?.ip ?? `<${owner}'s address>`}.`,
  });
}

function wrongVtep(ctx: AnalysisContext, node: string, net: HostNet, r: Route, block: Block): Finding {
  const owner = block.node;
  const outer = outerAddresses(net, r.dev!, parseIpv4(r.gateway!)!);
  const ownerUnderlay = underlayOf(ctx, owner);
  return finding('tunnel-next-hop-wrong', {
    node,
    summary: `on ${node}, VXLAN traffic for ${owner}'s block ${r.dst} is sent to VTEP ${formatIpv4(outer.dst!)}, which is ${whoIs(ctx, formatIpv4(outer.dst!))}, not ${owner}${ownerUnderlay !== undefined ? ` (${ownerUnderlay.ip})` : ''}`,
    evidence: [
      renderRoute(r),
      ...texts(outer.evidence),
      block.source,
      ...(ownerUnderlay !== undefined ? [ownerUnderlay.source] : []),
    ],
    fix: `On ${node}: bridge fdb replace <MAC of ${r.gateway}> dev ${r.dev} dst ${ownerUnderlay?.ip ?? `<${owner}'s address>`} (or restart the CNI agent there).`,
  });
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
        const ok = acceptableGateways(ctx, owner, kind);
        // The owner's own tunnel addresses are among the acceptable ones: without its devices
        // (a probed owner whose ip-addr is missing) a gateway cannot be called wrong.
        const ownerKnown = !ctx.model.hosts.has(owner) || ctx.has(owner, ['ip-addr']);
        if (!ok.has(gw)) {
          if (ownerKnown) out.push(wrongGateway(ctx, h.name, r, block, kind, ok));
          continue;
        }
        if (kind !== 'vxlan') continue;
        // The VTEP is right; its neighbour and fdb entries must lead to the owner's underlay address.
        // Decided without evidence (every route of every node asks it); a finding says it in full.
        const vtep = outerEnds(net, r.dev, gw)?.dst;
        if (vtep === undefined) {
          out.push(cannotEncapsulate(ctx, h.name, net, r, owner));
          continue;
        }
        if (!nodeAddresses(ctx, owner).has(vtep) && hostOwning(ctx, vtep) !== owner && ownerKnown)
          out.push(wrongVtep(ctx, h.name, net, r, block));
      }
    }
    return out;
  },
};
