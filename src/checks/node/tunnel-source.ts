// The outer source of tunnel traffic between each pair of nodes against the address the peer knows
// (docs/incidents.md #3): on a node with several NICs the kernel may pick an address the peer does not
// hold as a cluster host, and Calico's felix drops IPIP/VXLAN from sources outside its all-hosts
// ipset (felix rule "-m set ! --match-set cali40all-hosts-net src -j DROP" on the tunnel protocol).
import { text, texts } from '../../model/render/said.ts';
import { formatIpv4, PrefixIndex, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { fibLookup } from '../../engine/routing.ts';
import { outerAddresses } from '../../engine/tunnel.ts';
import { CNI_MODULES } from '../../model/cni/index.ts';
import type { HostState, IpSet } from '../../model/types.ts';
import type { WideScopeCheck } from '../check.ts';
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
    for (const a of ctx.judged.values()) {
      const net = ctx.world.hosts.get(a.name)!;
      const aInfo = nodeInfo(ctx, a.name);
      const known = aInfo !== undefined ? knownUnderlay(aInfo) : undefined;
      const aAddrs = nodeAddresses(ctx, a.name);
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
        const outer = outerAddresses(net, dev, parseIpv4(gw)!);
        if (outer.src === undefined || outer.dst === undefined) continue;
        // The peer's allow-list, when its ipsets were collected; else only the addresses it knows are compared.
        const peer = ctx.has(b.node, ['ipset']) ? ctx.model.hosts.get(b.node) : undefined;
        const list = peer !== undefined ? allowList(peer, outer.kind) : undefined;
        const rejectedByList = list !== undefined && !inSet(list, outer.src);
        const unknownToPeer = aAddrs.size > 0 && !aAddrs.has(outer.src);
        if (!rejectedByList && !unknownToPeer) continue;
        const src = formatIpv4(outer.src);
        const pinned = (link.kind === 'ipip' ? link.ipip?.local : link.vxlan?.local) !== undefined;
        out.push(
          finding('tunnel-source-mismatch', {
            node: a.name,
            summary: `${a.name} sends ${outer.kind.toUpperCase()} traffic to ${b.node} (${formatIpv4(outer.dst)}) from ${src}${known !== undefined ? `, but ${b.node} knows ${a.name} as ${known.ip}` : ''}${rejectedByList ? `; ${src} is not in ${b.node}'s allow-list ${list!.name}, so ${b.node} drops it` : ''}`,
            evidence: [
              `outer source: ${text(outer.srcFrom)}`,
              ...texts(outer.evidence),
              ...(known !== undefined ? [known.source] : []),
              ...(list !== undefined ? [`${b.node}: ipset ${list.name}: ${list.members.join(' ')}`] : []),
            ],
            ...(known !== undefined
              ? {
                  fix: `Make ${a.name} send from ${known.ip}: ${pinned ? '' : `create ${dev} with \`local ${known.ip}\` (it has none, so routing picks the source), or `}ip route replace ${formatIpv4(outer.dst)} dev ${outer.dev ?? '<dev>'} src ${known.ip} (persist it), or set the CNI's address detection to the NIC peers use (Calico: IP_AUTODETECTION_METHOD=can-reach=${formatIpv4(outer.dst)}; flannel: --iface / --public-ip)${list !== undefined ? `; or make ${b.node}'s allow-list hold ${src}` : ''}.`,
                }
              : {}),
          }),
        );
      }
    }
    return out;
  },
};
