// The flow `--active` sends itself (pure): the question's protocol and port, from the source pod's
// namespace to the destination, with a capture point on every device the engine's forward and
// reply traces cross (in their order), plus each pod's own device where a trace stopped short of
// it, so that a capture can confirm a predicted drop or contradict it.
import { parseIpv4 } from '../../lib/ipv4.ts';
import { podAttachment } from '../../engine/world.ts';
import { flowFilter, flowTuples } from '../../snapshot/active-flow.ts';
import type { FlowPlan, FlowPoint, FlowProbe, FlowProtocol } from '../../snapshot/active-flow.ts';
import { PROBE_LIMITS } from '../../snapshot/active.ts';
import type { PodInfo } from '../../model/cluster.ts';
import type { AnalysisContext } from '../context.ts';
import { podIp } from '../queries/common.ts';
import type { TraceDoc } from '../report-doc.ts';

/** A pod as an end of the flow: enterable unless it uses its node's network (or is not scheduled). */
export function flowEnd(p: PodInfo): FlowEnd {
  const ip = podIp(p);
  return p.hostNetwork || p.node === undefined
    ? { ip }
    : { ip, pod: { name: `${p.namespace}/${p.name}`, node: p.node } };
}

const ATTEMPTS = 2;
// Long enough for a SYN-ACK on a loaded node; a lost attempt costs this much.
const ANSWER_SECONDS = 2;

/** An end of the flow: a pod (netcheck may enter its namespace on its node) or a host address. */
export interface FlowEnd {
  ip: string;
  /** namespace/name and node when it is a pod with a network namespace of its own. */
  pod?: { name: string; node: string };
}

/** Captured packets of one attempt per point, per direction: TCP SYN + RST out, SYN-ACK back. */
const PER_ATTEMPT: Record<FlowProtocol, { forward: number; reply: number }> = {
  tcp: { forward: 2, reply: 1 },
  udp: { forward: 1, reply: 1 },
  icmp: { forward: 1, reply: 1 },
};

/**
 * The devices a trace crosses, in order. Past a hop that rewrites the packet (NAT), its addresses
 * are known only from where the trace delivered it (seenAs): without that, those points are not
 * watched (a filter on the old addresses would miss the packet and call it lost).
 */
function tracePoints(t: TraceDoc | undefined): FlowPoint[] {
  const out: FlowPoint[] = [];
  let rewritten: string | undefined;
  t?.hops.forEach((h, hop) => {
    if (h.effect?.kind === 'rewritten' && t.seenAs === undefined && rewritten === undefined)
      rewritten = `${h.node} rewrites the packet at hop ${hop + 1} (${h.effect.what}) and the trace does not deliver it: its addresses after that are not known`;
    if (h.device === undefined || h.device === 'lo') return;
    if (out.some((p) => p.node === h.node && p.dev === h.device)) return;
    out.push({ node: h.node, dev: h.device, hop, ...(rewritten !== undefined ? { unwatched: rewritten } : {}) });
  });
  return out;
}

/**
 * One direction's points: the first trace's, but where its branches (a Service's endpoints picked
 * at random, multipath next hops) part ways, which one a packet takes is not predicted: the points
 * not on every branch are not watched.
 */
function branchPoints(traces: readonly TraceDoc[], direction: TraceDoc['direction']): FlowPoint[] {
  const all = traces.filter((t) => t.direction === direction).map(tracePoints);
  const [first, ...others] = all;
  if (first === undefined) return [];
  const why = `the ${direction} trace has ${all.length} branches (load balancing or multipath) and they part before this device: which one a packet takes is not predicted`;
  return first.map((p) =>
    p.unwatched === undefined && !others.every((o) => o.some((x) => x.node === p.node && x.dev === p.dev))
      ? { ...p, unwatched: why }
      : p,
  );
}

/** The pod's own device on its node (hop -1: no trace hop stands for it). */
function attachment(ctx: AnalysisContext, end: FlowEnd): FlowPoint | undefined {
  const ip = parseIpv4(end.ip);
  if (end.pod === undefined || ip === undefined) return undefined;
  const a = podAttachment(ctx.world, { name: end.pod.name, ip, node: end.pod.node });
  return a === undefined ? undefined : { node: a.host.name, dev: a.dev, hop: -1 };
}

function withEnds(points: FlowPoint[], first?: FlowPoint, last?: FlowPoint): FlowPoint[] {
  const has = (p?: FlowPoint) => p === undefined || points.some((x) => x.node === p.node && x.dev === p.dev);
  return [...(has(first) ? [] : [first!]), ...points, ...(has(last) ? [] : [last!])];
}

function vxlanPorts(ctx: AnalysisContext): number[] {
  const s = new Set<number>();
  for (const h of ctx.world.hosts.values()) for (const l of h.links.values()) if (l.vxlan) s.add(l.vxlan.port);
  return [...s].sort((a, b) => a - b);
}

/**
 * The flow's plan, or why it cannot be sent: netcheck sends only from a pod's own namespace (the
 * source must be a pod it can enter on a probed node).
 */
export function planFlow(
  ctx: AnalysisContext,
  traces: readonly TraceDoc[],
  q: { protocol: FlowProtocol; port?: number },
  src: FlowEnd,
  dst: FlowEnd,
): { plan: FlowPlan } | { skipped: string } {
  if (src.pod === undefined)
    return { skipped: `the flow is not sent: its source ${src.ip} is no pod netcheck can enter` };
  if (!ctx.world.hosts.has(src.pod.node))
    return { skipped: `the flow is not sent: ${src.pod.name}'s node ${src.pod.node} was not probed` };
  const [s, d] = [attachment(ctx, src), attachment(ctx, dst)];
  const forward = withEnds(branchPoints(traces, 'forward'), s, d);
  const reply = withEnds(branchPoints(traces, 'reply'), d, s);
  const seen = traces.flatMap((t) =>
    t.direction === 'forward' && t.seenAs !== undefined
      ? [{ src: t.seenAs.src, dst: t.seenAs.dst, ...(t.seenAs.dport !== undefined ? { port: t.seenAs.dport } : {}) }]
      : [],
  );
  const probe: FlowProbe = {
    protocol: q.protocol,
    src: src.ip,
    dst: dst.ip,
    srcNode: src.pod.node,
    ...(q.port !== undefined ? { port: q.port } : {}),
    ...(dst.pod !== undefined && q.protocol !== 'icmp' && ctx.world.hosts.has(dst.pod.node)
      ? { listenNode: dst.pod.node }
      : {}),
    count: Math.min(ATTEMPTS, PROBE_LIMITS.maxCount),
    answerSeconds: ANSWER_SECONDS,
    forward,
    reply,
    ...(seen.length > 0 ? { seenAs: seen } : {}),
  };
  const ports = vxlanPorts(ctx);
  const filter = flowFilter(probe.protocol, flowTuples(probe), ports);
  const per = PER_ATTEMPT[q.protocol];
  const points = new Map<string, { node: string; dev: string; expected: number }>();
  // Captures run in probe pods: on cluster nodes only (a LAN host's devices stay unobserved).
  const nodes = new Set(ctx.model.cluster.nodes.map((n) => n.name));
  for (const [list, n] of [
    [forward, per.forward],
    [reply, per.reply],
  ] as const)
    for (const p of list.filter((x) => nodes.has(x.node) && x.unwatched === undefined)) {
      const k = `${p.node}|${p.dev}`;
      const e = points.get(k) ?? { node: p.node, dev: p.dev, expected: 0 };
      e.expected += n * probe.count;
      points.set(k, e);
    }
  return { plan: { probe, captures: [...points.values()].map((c) => ({ ...c, filter })), vxlanPorts: ports } };
}
