// The outer source of tunnel traffic between each pair of nodes against the address the peer knows
// (docs/incidents.md #3): on a node with several NICs the kernel may pick an address the peer does not
// hold as a cluster host, and Calico's felix drops IPIP/VXLAN from sources outside its all-hosts
// ipset (felix rule "-m set ! --match-set cali40all-hosts-net src -j DROP" on the tunnel protocol).
import { text, texts } from '../../model/render/said.ts';
import { formatIpv4, PrefixIndex, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { fibLookup } from '../../engine/routing.ts';
import { fixedOuterSource, outerAddresses, outerEnds, outerSource } from '../../engine/tunnel.ts';
import type { TunnelKind } from '../../engine/tunnel.ts';
import type { HostNet } from '../../engine/host-net.ts';
import { CNI_MODULES } from '../../model/cni/index.ts';
import type { HostState, IpSet, Link } from '../../model/types.ts';
import type { CheckContext, WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { knownUnderlay, nodeAddresses, nodeInfo, ownershipObjects, podBlocks } from './ownership.ts';
import { TUNNEL_SECTIONS } from './tunnel-next-hop.ts';

const allowLists = new WeakMap<HostState, Map<string, IpSet | undefined>>();

/** The peer's allow-list of cluster hosts for `kind` tunnel traffic, from the CNI that keeps one (model/cni/); once per peer. */
function allowList(h: HostState, kind: 'ipip' | 'vxlan'): IpSet | undefined {
  let m = allowLists.get(h);
  if (m === undefined) allowLists.set(h, (m = new Map()));
  if (!m.has(kind)) m.set(kind, findAllowList(h, kind));
  return m.get(kind);
}

function findAllowList(h: HostState, kind: 'ipip' | 'vxlan'): IpSet | undefined {
  for (const m of CNI_MODULES) {
    const s = m.tunnelAllowList?.(h, kind);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** A set's members indexed once (every node pair asks the peer's set: a search of 1,000 members each time grew as N³). */
const indexedMembers = new WeakMap<IpSet, PrefixIndex<true>>();

function inSet(s: IpSet, ip: Ipv4): boolean {
  let idx = indexedMembers.get(s);
  if (idx === undefined) {
    idx = new PrefixIndex();
    for (const m of s.members) {
      const c = parseCidr4(m.split(',')[0]!);
      if (c !== undefined) idx.add(c, true);
    }
    indexedMembers.set(s, idx);
  }
  return idx.longest(ip) !== undefined;
}

/** Peers whose allow-lists hold the same members, once: on a healthy cluster every node has the same list. */
interface ListGroup {
  list: IpSet;
  owners: Set<string>;
}

/**
 * The distinct allow-lists of the block owners, by tunnel kind. Undefined when a probed owner's
 * ipsets are not usable: the pair walk then asks (and records the gap) peer by peer, as it reaches them.
 */
function peerLists(ctx: CheckContext, owners: ReadonlySet<string>): Record<TunnelKind, ListGroup[]> | undefined {
  const groups: Record<TunnelKind, Map<string, ListGroup>> = { ipip: new Map(), vxlan: new Map() };
  for (const node of owners) {
    const h = ctx.model.hosts.get(node);
    if (h === undefined) continue; // not probed: no list is asked of it
    if (!ctx.peek(node, ['ipset'])) return undefined;
    for (const kind of ['ipip', 'vxlan'] as const) {
      const list = allowList(h, kind);
      if (list === undefined) continue;
      const key = list.members.join('\n');
      const g = groups[kind].get(key);
      if (g === undefined) groups[kind].set(key, { list, owners: new Set([node]) });
      else g.owners.add(node);
    }
  }
  return { ipip: [...groups.ipip.values()], vxlan: [...groups.vxlan.values()] };
}

/**
 * Whether no pair from this node can be a mismatch, decided from its own devices: each tunnel
 * device sends from a fixed `local`, which the node is known by and every other node's allow-list
 * holds. Then its N routes need no walk — the healthy case, so doctor on N nodes costs N, not N²,
 * outer-source decisions.
 */
function quiet(net: HostNet, self: string, addrs: ReadonlySet<Ipv4>, lists: Record<TunnelKind, ListGroup[]>): boolean {
  for (const l of net.links.values()) {
    if (l.kind !== 'ipip' && l.kind !== 'vxlan') continue;
    const src = fixedOuterSource(l);
    if (src === undefined || (addrs.size > 0 && !addrs.has(src))) return false;
    for (const g of lists[l.kind])
      if (!(g.owners.size === 1 && g.owners.has(self)) && !inSet(g.list, src)) return false;
  }
  return true;
}

/** The finding for a pair whose outer source the peer does not accept, with the evidence of each step. */
function mismatch(
  ctx: CheckContext,
  a: string,
  peer: string,
  net: HostNet,
  link: Link,
  gw: Ipv4,
  list: IpSet | undefined,
  rejectedByList: boolean,
): Finding {
  const outer = outerAddresses(net, link.name, gw);
  const aInfo = nodeInfo(ctx, a);
  const known = aInfo !== undefined ? knownUnderlay(aInfo) : undefined;
  const src = formatIpv4(outer.src!);
  const pinned = (link.kind === 'ipip' ? link.ipip?.local : link.vxlan?.local) !== undefined;
  return finding('tunnel-source-mismatch', {
    node: a,
    summary: `${a} sends ${outer.kind.toUpperCase()} traffic to ${peer} (${formatIpv4(outer.dst!)}) from ${src}${known !== undefined ? `, but ${peer} knows ${a} as ${known.ip}` : ''}${rejectedByList ? `; ${src} is not in ${peer}'s allow-list ${list!.name}, so ${peer} drops it` : ''}`,
    evidence: [
      `outer source: ${text(outer.srcFrom)}`,
      ...texts(outer.evidence),
      ...(known !== undefined ? [known.source] : []),
      ...(list !== undefined ? [`${peer}: ipset ${list.name}: ${list.members.join(' ')}`] : []),
    ],
    ...(known !== undefined
      ? {
          fix: `Make ${a} send from ${known.ip}: ${pinned ? '' : `create ${link.name} with \`local ${known.ip}\` (it has none, so routing picks the source), or `}ip route replace ${formatIpv4(outer.dst!)} dev ${outer.dev ?? '<dev>'} src ${known.ip} (persist it), or set the CNI's address detection to the NIC peers use (Calico: IP_AUTODETECTION_METHOD=can-reach=${formatIpv4(outer.dst!)}; flannel: --iface / --public-ip)${list !== undefined ? `; or make ${peer}'s allow-list hold ${src}` : ''}.`,
        }
      : {}),
  });
}

export const tunnelSourceCheck: WideScopeCheck = {
  name: 'tunnel-source',
  describe:
    'the outer source of tunnel traffic between every pair of nodes is an address the peer accepts, both directions',
  scope: 'pair',
  emits: ['tunnel-source-mismatch'],
  onPath: true,
  needs: (ctx) => ({ sections: TUNNEL_SECTIONS, objects: ownershipObjects(ctx) }),
  run(ctx) {
    const out: Finding[] = [];
    // An address inside each block, parsed once: every node looks up the route to every block.
    const blocks = podBlocks(ctx).map((b) => ({ node: b.node, probe: (parseCidr4(b.cidr)!.net + 1) >>> 0 }));
    const lists = peerLists(ctx, new Set(blocks.map((b) => b.node)));
    for (const a of ctx.judged.values()) {
      const net = ctx.world.hosts.get(a.name)!;
      const aAddrs = nodeAddresses(ctx, a.name);
      if (lists !== undefined && quiet(net, a.name, aAddrs, lists)) continue;
      const seenPeers = new Set<string>();
      for (const b of blocks) {
        if (b.node === a.name || seenPeers.has(b.node)) continue;
        const r = fibLookup(net, { dst: b.probe, src: 0, iif: 'lo', mark: 0, tos: 0 });
        if (!r.ok || r.route.type !== 'unicast') continue;
        const dev = r.route.dev ?? r.route.nexthops[0]?.dev;
        const gw = r.route.gateway ?? r.route.nexthops[0]?.gateway;
        const link = dev === undefined ? undefined : net.links.get(dev);
        if (dev === undefined || gw === undefined || (link?.kind !== 'ipip' && link?.kind !== 'vxlan')) continue;
        seenPeers.add(b.node);
        // The decision without evidence; the finding then says it in full (outerAddresses).
        const ends = outerEnds(net, dev, parseIpv4(gw)!);
        const src = ends === undefined ? undefined : outerSource(net, ends);
        if (src === undefined) continue;
        // The peer's allow-list, when its ipsets were collected; else only the addresses it knows are compared.
        const peer = ctx.has(b.node, ['ipset']) ? ctx.model.hosts.get(b.node) : undefined;
        const list = peer !== undefined ? allowList(peer, link.kind) : undefined;
        const rejectedByList = list !== undefined && !inSet(list, src);
        const unknownToPeer = aAddrs.size > 0 && !aAddrs.has(src);
        if (!rejectedByList && !unknownToPeer) continue;
        out.push(mismatch(ctx, a.name, b.node, net, link, parseIpv4(gw)!, list, rejectedByList));
      }
    }
    return out;
  },
};
