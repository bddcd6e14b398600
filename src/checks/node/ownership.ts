// Who owns which pod block, and which underlay and tunnel addresses each node is known by — the
// facts the tunnel checks compare the nodes' routes with. Sources, most specific first: Calico
// BlockAffinities, node spec.podCIDR (flannel, Cilium kubernetes IPAM), CiliumNode is not read yet.
import { cidrContains, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import type { NodeInfo } from '../../model/cluster.ts';
import type { ObjectKind } from '../../snapshot/types.ts';
import type { AnalysisContext } from '../context.ts';

export interface Block {
  cidr: string;
  node: string;
  /** The object field that says so, as evidence. */
  source: string;
}

/** The object kinds podBlocks reads: Calico's BlockAffinities unless the cluster surely runs another CNI. */
export function ownershipObjects(ctx: AnalysisContext): ObjectKind[] {
  const cni = ctx.flavour.cni.value;
  return cni === 'calico' || cni === 'unknown' ? ['nodes', 'blockAffinities'] : ['nodes'];
}

export function podBlocks(ctx: AnalysisContext): Block[] {
  const out: Block[] = [];
  for (const b of ctx.model.cluster.blockAffinities) {
    if (b.state !== undefined && b.state !== 'confirmed') continue;
    out.push({ cidr: b.cidr, node: b.node, source: `BlockAffinity ${b.node}: cidr ${b.cidr}` });
  }
  for (const n of ctx.model.cluster.nodes) {
    for (const c of n.podCIDRs)
      if (!out.some((b) => b.cidr === c))
        out.push({ cidr: c, node: n.name, source: `Node ${n.name}: spec.podCIDR ${c}` });
  }
  return out.filter((b) => parseCidr4(b.cidr) !== undefined);
}

/** The block an address or prefix falls in (the longest containing block). */
export function blockOf(blocks: readonly Block[], prefix: string): Block | undefined {
  const p = parseCidr4(prefix);
  if (p === undefined) return undefined;
  let best: Block | undefined;
  for (const b of blocks) {
    const c = parseCidr4(b.cidr)!;
    if (c.len <= p.len && cidrContains(c, p.net) && (best === undefined || c.len > parseCidr4(best.cidr)!.len))
      best = b;
  }
  return best;
}

function bare(addr: string | undefined): string | undefined {
  if (addr === undefined) return undefined;
  const a = addr.split('/')[0]!;
  return parseIpv4(a) !== undefined ? a : undefined;
}

/**
 * The underlay address peers know a node by, and where that comes from: Calico's
 * projectcalico.org/IPv4Address (what felix puts in the all-hosts ipsets and BIRD uses as next
 * hop), flannel's public-ip annotation, else the first InternalIP.
 */
export function knownUnderlay(n: NodeInfo): { ip: string; source: string } | undefined {
  const calico = bare(n.calicoIPv4);
  if (calico !== undefined)
    return { ip: calico, source: `Node ${n.name}: annotation projectcalico.org/IPv4Address=${n.calicoIPv4}` };
  const flannel = bare(n.flannelPublicIP);
  if (flannel !== undefined)
    return {
      ip: flannel,
      source: `Node ${n.name}: annotation flannel.alpha.coreos.com/public-ip=${n.flannelPublicIP}`,
    };
  const internal = n.internalIPs.find((a) => parseIpv4(a) !== undefined);
  if (internal !== undefined)
    return { ip: internal, source: `Node ${n.name}: status.addresses InternalIP ${internal}` };
  return undefined;
}

export function nodeInfo(ctx: AnalysisContext, name: string): NodeInfo | undefined {
  return ctx.model.cluster.nodes.find((n) => n.name === name);
}

/** Every address a node is known by (annotations, status.addresses, addresses on its devices). */
export function nodeAddresses(ctx: AnalysisContext, name: string): Set<Ipv4> {
  const out = new Set<Ipv4>();
  const n = nodeInfo(ctx, name);
  for (const a of [
    bare(n?.calicoIPv4),
    bare(n?.flannelPublicIP),
    ...(n?.internalIPs ?? []),
    ...(n?.externalIPs ?? []),
  ]) {
    const ip = a === undefined ? undefined : parseIpv4(a);
    if (ip !== undefined) out.add(ip);
  }
  return out;
}

/** Which node has `ip` on one of its devices (not kube-ipvs0, where IPVS puts Service addresses). */
export function hostOwning(ctx: AnalysisContext, ip: Ipv4): string | undefined {
  for (const h of ctx.world.hosts.values())
    for (const [dev, addrs] of h.addresses)
      if (dev !== 'kube-ipvs0' && dev !== 'lo' && addrs.some((a) => a.local === ip)) return h.name;
  return undefined;
}
