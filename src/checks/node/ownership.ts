// Who owns which pod block, and which underlay and tunnel addresses each node is known by — the
// facts the tunnel checks compare the nodes' routes with. The blocks come from the source the
// CNI's IPAM allocates from (src/model/cni/: Calico BlockAffinities with calico-ipam,
// node.spec.podCIDR with flannel, host-local usePodCidr or Cilium `ipam: kubernetes`, CiliumNode
// with Cilium cluster-pool).
import { PrefixIndex, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Cidr4, Ipv4 } from '../../lib/ipv4.ts';
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

// Facts every pair check asks for each route of each node: computed once per analysis, so that
// doctor on N nodes does not parse and search N blocks for each of N routes on each of N nodes.
const blocksByCtx = new WeakMap<AnalysisContext, readonly Block[]>();

export function podBlocks(ctx: AnalysisContext): readonly Block[] {
  let out = blocksByCtx.get(ctx);
  if (out === undefined) {
    const list: Block[] = [];
    const seen = new Set<string>();
    for (const r of ctx.flavour.podRanges) {
      const key = `${r.cidr} ${r.node}`;
      if (parseCidr4(r.cidr) === undefined || seen.has(key)) continue;
      seen.add(key);
      list.push(r);
    }
    out = list;
    blocksByCtx.set(ctx, out);
  }
  return out;
}

const blocksByNode = new WeakMap<AnalysisContext, Map<string, Block[]>>();

/** The blocks of one node (podBlocks, filtered), grouped once per analysis. */
export function blocksOfNode(ctx: AnalysisContext, node: string): readonly Block[] {
  let m = blocksByNode.get(ctx);
  if (m === undefined) {
    m = new Map();
    for (const b of podBlocks(ctx)) {
      const l = m.get(b.node);
      if (l === undefined) m.set(b.node, [b]);
      else l.push(b);
    }
    blocksByNode.set(ctx, m);
  }
  return m.get(node) ?? [];
}

interface PodSides {
  ranges: Map<string, string[]>;
  ips: Map<string, string[]>;
  devices: Map<string, ReadonlySet<string>>;
}

const podSidesByCtx = new WeakMap<AnalysisContext, PodSides>();

/**
 * The devices of `node` on the pod side (model/cni/pod-side.ts): its pods' routes, bridges,
 * gateways. Once per node and analysis, from the ranges and pods grouped by node once (five
 * checks ask of every node; a search of every range and pod each time grew as N²).
 */
export function podSide(ctx: AnalysisContext, node: string): ReadonlySet<string> {
  let m = podSidesByCtx.get(ctx);
  if (m === undefined) {
    m = { ranges: new Map(), ips: new Map(), devices: new Map() };
    for (const r of ctx.flavour.podRanges) push(m.ranges, r.node, [r.cidr]);
    for (const p of ctx.model.cluster.pods) if (!p.hostNetwork && p.node !== undefined) push(m.ips, p.node, p.ips);
    podSidesByCtx.set(ctx, m);
  }
  let out = m.devices.get(node);
  if (out === undefined) {
    const h = ctx.model.hosts.get(node);
    out = h === undefined ? new Set() : podSideDevices(h, m.ranges.get(node) ?? [], m.ips.get(node) ?? []);
    m.devices.set(node, out);
  }
  return out;
}

function push<T>(m: Map<string, T[]>, key: string, values: readonly T[]): void {
  const list = m.get(key);
  if (list === undefined) m.set(key, [...values]);
  else for (const v of values) list.push(v);
}

const cidrs = new WeakMap<Block, Cidr4>();

/** A block's prefix, parsed once (podBlocks keeps only blocks whose prefix parses). */
export function blockCidr(b: Block): Cidr4 {
  let c = cidrs.get(b);
  if (c === undefined) cidrs.set(b, (c = parseCidr4(b.cidr)!));
  return c;
}

const blockIndexes = new WeakMap<readonly Block[], PrefixIndex<Block>>();

/** The block an address or prefix falls in (the longest containing block; the first listed wins a tie). */
export function blockOf(blocks: readonly Block[], prefix: string): Block | undefined {
  const p = parseCidr4(prefix);
  if (p === undefined) return undefined;
  let idx = blockIndexes.get(blocks);
  if (idx === undefined) {
    idx = new PrefixIndex();
    for (const b of blocks) idx.add(blockCidr(b), b);
    blockIndexes.set(blocks, idx);
  }
  return idx.longest(p.net, p.len);
}

/**
 * The underlay address peers know a node by, and where that comes from: the annotation a CNI
 * writes (src/model/cni/: Calico's projectcalico.org/IPv4Address, flannel's public-ip), else the
 * first InternalIP.
 */
const underlays = new WeakMap<NodeInfo, { ip: string; source: string } | null>();

export function knownUnderlay(n: NodeInfo): { ip: string; source: string } | undefined {
  let u = underlays.get(n);
  if (u === undefined) underlays.set(n, (u = underlayOf(n) ?? null));
  return u ?? undefined;
}

function underlayOf(n: NodeInfo): { ip: string; source: string } | undefined {
  for (const m of CNI_MODULES) {
    const u = m.underlay?.(n);
    if (u !== undefined) return u;
  }
  const internal = n.internalIPs.find((a) => parseIpv4(a) !== undefined);
  if (internal !== undefined)
    return { ip: internal, source: `Node ${n.name}: status.addresses InternalIP ${internal}` };
  return undefined;
}

const nodesByCtx = new WeakMap<AnalysisContext, Map<string, NodeInfo>>();

export function nodeInfo(ctx: AnalysisContext, name: string): NodeInfo | undefined {
  let m = nodesByCtx.get(ctx);
  if (m === undefined) {
    m = new Map();
    // The first Node of a name, as a search of the list would find.
    for (const n of ctx.model.cluster.nodes) if (!m.has(n.name)) m.set(n.name, n);
    nodesByCtx.set(ctx, m);
  }
  return m.get(name);
}

const addressesByCtx = new WeakMap<AnalysisContext, Map<string, ReadonlySet<Ipv4>>>();

/** Every address a node is known by (annotations, status.addresses, addresses on its devices); once per node. */
export function nodeAddresses(ctx: AnalysisContext, name: string): ReadonlySet<Ipv4> {
  let m = addressesByCtx.get(ctx);
  if (m === undefined) addressesByCtx.set(ctx, (m = new Map()));
  let out = m.get(name);
  if (out === undefined) m.set(name, (out = knownAddresses(ctx, name)));
  return out;
}

function knownAddresses(ctx: AnalysisContext, name: string): Set<Ipv4> {
  const out = new Set<Ipv4>();
  const n = nodeInfo(ctx, name);
  const annotated = n === undefined ? [] : CNI_MODULES.map((m) => m.underlay?.(n)?.ip);
  for (const a of [...annotated, ...(n?.internalIPs ?? []), ...(n?.externalIPs ?? [])]) {
    const ip = a === undefined ? undefined : parseIpv4(a);
    if (ip !== undefined) out.add(ip);
  }
  return out;
}

const ownersByHosts = new WeakMap<object, Map<Ipv4, string>>();

/**
 * Which node has `ip` on one of its devices (not kube-ipvs0, where IPVS puts Service addresses):
 * the first in host order, from an index built once per world (each pair of nodes may ask).
 */
export function hostOwning(ctx: AnalysisContext, ip: Ipv4): string | undefined {
  let m = ownersByHosts.get(ctx.world.hosts);
  if (m === undefined) {
    m = new Map();
    for (const h of ctx.world.hosts.values())
      for (const [dev, addrs] of h.addresses)
        if (dev !== 'kube-ipvs0' && dev !== 'lo') for (const a of addrs) if (!m.has(a.local)) m.set(a.local, h.name);
    ownersByHosts.set(ctx.world.hosts, m);
  }
  return m.get(ip);
}
