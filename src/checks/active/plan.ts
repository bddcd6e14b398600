// What `--active` sends, derived from the analysis alone (pure): for every ordered pair of nodes
// the pod network joins, the packets that stand for its traffic between them, each with the path
// the engine predicts (the sender's underlay device, the receiver's) where it is to be captured.
// - A route out of a tunnel device (Calico's, flannel's) is encapsulated as the engine does it
//   (engine/tunnel.ts outerAddresses: outer source, destination, underlay device); the pair gets
//   a small VXLAN / IPIP probe and a DF one at the tunnel MTU plus the encapsulation overhead.
// - A route to another node's pod range via that node's address on an underlay device (routed
//   mode: Calico BGP without encapsulation, flannel host-gw) gets a probe with a pod source address.
// Safety (issue #14): a probe goes only to a cluster node's address or one of the two pods of the
// question; its size, copies and the plan's total packets are bounded (PROBE_LIMITS).
import { formatIpv4, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { isTunnel, outerAddresses } from '../../engine/tunnel.ts';
import type { HostNet } from '../../engine/host-net.ts';
import { TABLE_MAIN } from '../../engine/host-net.ts';
import { addressHolder } from '../../engine/world.ts';
import { PROBE_LIMITS, captureFilter } from '../../snapshot/active.ts';
import type { ActivePlan, CapturePoint, ProbeKind, ProbeLimits, UnderlayProbe } from '../../snapshot/active.ts';
import type { AnalysisContext } from '../context.ts';

/** Outer headers each encapsulation adds to the tunnel's packets (as checks/node/tunnel-mtu.ts). */
const OVERHEAD: Record<'vxlan' | 'ipip', number> = { vxlan: 50, ipip: 20 };
/** The small probe's IPv4 length: above every header it carries, far below any MTU. */
const REACH_SIZE = 96;
const COPIES = 2;
/** The highest VNI (24 bits) minus one, lowered past any VNI a node uses. */
const FIRST_VNI = 0xfffffe;

export interface PairScope {
  from: string;
  to: string;
  /** Flow commands: the pod addresses a routed probe carries in this direction. */
  podSrc?: string;
  podDst?: string;
}

export interface PlanScope {
  /** Only these ordered node pairs (a flow's); every pair when absent (doctor). */
  pairs?: readonly PairScope[];
  /** Addresses a probe may go to besides cluster nodes: the two pods, the named LAN host. */
  extraTargets?: readonly string[];
}

interface PairProbe {
  kind: ProbeKind;
  from: HostNet;
  to: string;
  src: Ipv4;
  dst: Ipv4;
  dev: string;
  peerDev: string;
  tunnel?: string;
  tunnelMtu?: number;
  port?: number;
}

function nodeOf(ctx: AnalysisContext, ip: Ipv4): { node: string; dev: string } | undefined {
  const h = addressHolder(ctx.world, ip);
  if (h === undefined || !('host' in h)) return undefined;
  return { node: h.host.name, dev: h.dev };
}

/** The encapsulated or routed ways `h` sends pod traffic to other nodes, one per (peer, kind). */
function nodeProbes(ctx: AnalysisContext, h: HostNet, skipped: string[]): PairProbe[] {
  const out = new Map<string, PairProbe>();
  const ranges = ctx.flavour.podRanges;
  for (const r of h.state.routes) {
    if (r.table !== TABLE_MAIN || r.gateway === undefined || r.dev === undefined || r.dst === '0.0.0.0/0') continue;
    const gw = parseIpv4(r.gateway);
    if (gw === undefined) continue;
    if (isTunnel(h, r.dev)) {
      const o = outerAddresses(h, r.dev, gw);
      if (o.dst === undefined || o.src === undefined || o.dev === undefined) {
        skipped.push(`${h.name}: ${r.raw}: ${o.problem ?? 'no outer addresses'}`);
        continue;
      }
      const peer = nodeOf(ctx, o.dst);
      if (peer === undefined || peer.node === h.name) {
        skipped.push(`${h.name}: ${r.dev} sends to ${formatIpv4(o.dst)}, which is no probed node's address`);
        continue;
      }
      const link = h.links.get(r.dev)!;
      const p: PairProbe = {
        kind: o.kind,
        from: h,
        to: peer.node,
        src: o.src,
        dst: o.dst,
        dev: o.dev,
        peerDev: peer.dev,
        tunnel: r.dev,
        tunnelMtu: link.mtu,
      };
      if (link.vxlan !== undefined) p.port = link.vxlan.port;
      out.set(`${peer.node}|${o.kind}`, p);
      continue;
    }
    const dst = parseCidr4(r.dst);
    const owner = dst === undefined ? undefined : ranges.find((x) => x.node !== h.name && x.cidr === r.dst);
    if (owner === undefined) continue;
    const peer = nodeOf(ctx, gw);
    if (peer === undefined || peer.node !== owner.node) continue;
    const own = ranges.find((x) => x.node === h.name && parseCidr4(x.cidr) !== undefined);
    const ownNet = own === undefined ? undefined : parseCidr4(own.cidr)!;
    if (ownNet === undefined) {
      skipped.push(`${h.name}: no pod range of its own to source a routed probe from`);
      continue;
    }
    const src = ((ownNet.net + 1) >>> 0) as Ipv4;
    out.set(`${peer.node}|routed`, {
      kind: 'routed',
      from: h,
      to: peer.node,
      src,
      dst: gw,
      dev: r.dev,
      peerDev: peer.dev,
    });
  }
  return [...out.values()];
}

function unusedVni(ctx: AnalysisContext): number {
  const used = new Set<number>();
  for (const h of ctx.world.hosts.values()) for (const l of h.links.values()) if (l.vxlan) used.add(l.vxlan.vni);
  let v = FIRST_VNI;
  while (used.has(v)) v--;
  return v;
}

function allowedTargets(ctx: AnalysisContext, scope: PlanScope): Set<string> {
  const s = new Set<string>(scope.extraTargets ?? []);
  for (const n of ctx.model.cluster.nodes) for (const ip of [...n.internalIPs, ...n.externalIPs]) s.add(ip);
  for (const h of ctx.world.hosts.values())
    for (const [dev, addrs] of h.addresses) if (dev !== 'lo') for (const a of addrs) s.add(formatIpv4(a.local));
  return s;
}

/**
 * The plan's safety limits, enforced: a probe to an address that is no cluster node's and not
 * named by the question, from or to a host that is no node, too large, or copied too often is
 * dropped (and said so); the total is cut at the packet budget. Returns the probes kept.
 */
export function enforceLimits(
  probes: readonly UnderlayProbe[],
  nodes: ReadonlySet<string>,
  targets: ReadonlySet<string>,
  limits: ProbeLimits,
  skipped: string[],
): UnderlayProbe[] {
  const kept: UnderlayProbe[] = [];
  let packets = 0;
  let overBudget = 0;
  for (const p of probes) {
    const why =
      !nodes.has(p.from) || !nodes.has(p.to)
        ? `${p.from} → ${p.to} is not between two cluster nodes`
        : !targets.has(p.dst)
          ? `${p.dst} is neither a cluster node's address nor named by the question`
          : p.size > limits.maxSize || p.size < REACH_SIZE
            ? `${p.size} bytes is outside ${REACH_SIZE}..${limits.maxSize}`
            : p.count < 1 || p.count > limits.maxCount
              ? `${p.count} copies is outside 1..${limits.maxCount}`
              : undefined;
    if (why === undefined && packets + p.count > limits.maxPackets) {
      overBudget++;
      continue;
    }
    if (why !== undefined) {
      skipped.push(`probe ${p.kind} ${p.from} → ${p.to} (${p.src} → ${p.dst}) not sent: ${why}`);
      continue;
    }
    packets += p.count;
    kept.push(p);
  }
  if (overBudget > 0)
    skipped.push(
      `${overBudget} probe(s) not sent: the plan holds ${limits.maxPackets} packets at most (doctor --nodes probes fewer pairs)`,
    );
  return kept;
}

function kindName(k: ProbeKind, port?: number): string {
  return k === 'vxlan'
    ? `VXLAN (UDP ${port})`
    : k === 'ipip'
      ? 'IPIP (IP protocol 4)'
      : 'pod traffic, not encapsulated';
}

/** Capture points: each device on a probe's predicted path, with the filter for what passes it. */
function capturePoints(probes: readonly UnderlayProbe[], run: number): CapturePoint[] {
  const points = new Map<string, { node: string; dev: string; probes: UnderlayProbe[] }>();
  for (const p of probes)
    for (const pt of p.path) {
      const k = `${pt.node}|${pt.dev}`;
      const e = points.get(k) ?? { node: pt.node, dev: pt.dev, probes: [] };
      e.probes.push(p);
      points.set(k, e);
    }
  return [...points.values()].map((e) => ({
    node: e.node,
    dev: e.dev,
    filter: captureFilter(
      e.probes.map((p) => p.kind),
      run,
      [...new Set(e.probes.flatMap((p) => (p.port !== undefined ? [p.port] : [])))].sort((a, b) => a - b),
    ),
    expected: e.probes.reduce((n, p) => n + p.count, 0),
  }));
}

/** The probes `--active` sends for this analysis; `run` tags this run's packets. */
export function planProbes(ctx: AnalysisContext, scope: PlanScope, run: number): ActivePlan {
  const skipped: string[] = [];
  const vni = unusedVni(ctx);
  const wanted = scope.pairs === undefined ? undefined : new Map(scope.pairs.map((p) => [`${p.from}|${p.to}`, p]));
  const probes: UnderlayProbe[] = [];
  for (const h of [...ctx.world.hosts.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (wanted !== undefined && ![...wanted.values()].some((p) => p.from === h.name)) continue;
    for (const pp of nodeProbes(ctx, h, skipped).sort(
      (a, b) => a.to.localeCompare(b.to) || a.kind.localeCompare(b.kind),
    )) {
      const pair = wanted?.get(`${h.name}|${pp.to}`);
      if (wanted !== undefined && pair === undefined) continue;
      let src = formatIpv4(pp.src);
      let dst = formatIpv4(pp.dst);
      if (pp.kind === 'routed' && pair?.podSrc !== undefined && pair.podDst !== undefined) {
        src = pair.podSrc;
        dst = pair.podDst;
      }
      const base = {
        kind: pp.kind,
        from: h.name,
        to: pp.to,
        src,
        dst,
        count: COPIES,
        path: [
          { node: h.name, dev: pp.dev },
          { node: pp.to, dev: pp.peerDev },
        ],
        standsFor:
          pp.tunnel !== undefined
            ? `${kindName(pp.kind, pp.port)} from ${pp.tunnel} (MTU ${pp.tunnelMtu})`
            : kindName(pp.kind),
        ...(pp.port !== undefined ? { port: pp.port, vni } : {}),
      };
      probes.push({ ...base, id: probes.length + 1, purpose: 'reach', size: REACH_SIZE, df: true });
      if (pp.kind !== 'routed' && pp.tunnelMtu !== undefined)
        probes.push({
          ...base,
          id: probes.length + 1,
          purpose: 'mtu',
          size: pp.tunnelMtu + OVERHEAD[pp.kind],
          df: true,
        });
    }
  }
  const nodes = new Set(ctx.model.cluster.nodes.map((n) => n.name));
  const kept = enforceLimits(probes, nodes, allowedTargets(ctx, scope), PROBE_LIMITS, skipped);
  return { run, probes: kept, captures: capturePoints(kept, run), skipped, limits: PROBE_LIMITS };
}
