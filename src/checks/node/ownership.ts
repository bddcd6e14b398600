// Who owns which pod block, and which underlay and tunnel addresses each node is known by — the
// facts the tunnel checks compare the nodes' routes with. The blocks come from the source the
// CNI's IPAM allocates from (src/model/cni/: Calico BlockAffinities with calico-ipam,
// node.spec.podCIDR with flannel, host-local usePodCidr or Cilium `ipam: kubernetes`, CiliumNode
// with Cilium cluster-pool).
import { cidrContains, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import type { NodeInfo } from '../../model/cluster.ts';
import { CNI_MODULES } from '../../model/cni/index.ts';
import { podSideDevices } from '../../model/cni/pod-side.ts';
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
  for (const r of ctx.flavour.podRanges)
    if (parseCidr4(r.cidr) !== undefined && !out.some((b) => b.cidr === r.cidr && b.node === r.node)) out.push(r);
  return out;
}

/** The devices of `node` on the pod side (model/cni/pod-side.ts): its pods' routes, bridges, gateways. */
export function podSide(ctx: AnalysisContext, node: string): Set<string> {
  const h = ctx.model.hosts.get(node);
  if (h === undefined) return new Set();
  const ranges = ctx.flavour.podRanges.filter((r) => r.node === node).map((r) => r.cidr);
  const ips = ctx.model.cluster.pods.filter((p) => p.node === node && !p.hostNetwork).flatMap((p) => p.ips);
  return podSideDevices(h, ranges, ips);
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

/**
 * The underlay address peers know a node by, and where that comes from: the annotation a CNI
 * writes (src/model/cni/: Calico's projectcalico.org/IPv4Address, flannel's public-ip), else the
 * first InternalIP.
 */
export function knownUnderlay(n: NodeInfo): { ip: string; source: string } | undefined {
  for (const m of CNI_MODULES) {
    const u = m.underlay?.(n);
    if (u !== undefined) return u;
  }
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
  const annotated = n === undefined ? [] : CNI_MODULES.map((m) => m.underlay?.(n)?.ip);
  for (const a of [...annotated, ...(n?.internalIPs ?? []), ...(n?.externalIPs ?? [])]) {
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
