// Merges what `--active` observed with what was predicted (pure): each probe's predicted path
// (the sender's underlay device, then the receiver's) marked captured / not captured / unknown at
// every point; the first point where a packet was predicted and not captured localises its loss.
// A capture or sender that gave no result makes the probe unknown: nothing is concluded from it.
import type {
  ActivePlan,
  ActiveResults,
  CaptureResult,
  Point,
  SenderResult,
  UnderlayProbe,
} from '../../snapshot/active.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

export type PointState = 'captured' | 'not-captured' | 'unknown';

export interface ObservedPoint extends Point {
  state: PointState;
  /** Copies seen there. */
  seen?: number;
  /** Why unknown. */
  why?: string;
}

/**
 * arrived: captured at every point; lost: left the sender, not at the receiver; not-left: sent but
 * not seen on the predicted device of the sender; refused: the sender's kernel refused it (errno);
 * unknown: a point or the sender gave no result.
 */
export type ProbeState = 'arrived' | 'lost' | 'not-left' | 'refused' | 'unknown';

export interface ProbeObservation {
  probe: UnderlayProbe;
  state: ProbeState;
  points: ObservedPoint[];
  /** Copies the sender handed to the kernel. */
  sent: number;
  /** refused: the errno; unknown: what gave no result. */
  why?: string;
}

/** What the engine predicted for the traffic a pair's probes stand for (flow commands). */
export interface PairPrediction {
  from: string;
  to: string;
  direction: 'forward' | 'reply';
  /** The engine's trace across this pair delivered the packet. */
  delivered: boolean;
  /** The hop that crosses it, as the trace says: "node-a eth0 → vxlan.calico: VXLAN vni 4096 ...". */
  engine: string;
}

function senderWhy(s: SenderResult | undefined, node: string): string | undefined {
  if (s === undefined) return `no sender ran on ${node}`;
  if (s.state === 'ran') return undefined;
  if (s.state === 'tool-missing') return `${s.tool} is missing on ${node} (the sender needs python3)`;
  return `the sender on ${node} ${s.state === 'timed-out' ? 'timed out' : 'failed'}: ${s.why}`;
}

function pointOf(p: UnderlayProbe, pt: Point, captures: readonly CaptureResult[]): ObservedPoint {
  const c = captures.find((x) => x.node === pt.node && x.dev === pt.dev);
  if (c === undefined) return { ...pt, state: 'unknown', why: `no capture on ${pt.node} ${pt.dev}` };
  if (c.state === 'tool-missing') return { ...pt, state: 'unknown', why: `${c.tool} is missing on ${pt.node}` };
  if (c.state !== 'ran')
    return { ...pt, state: 'unknown', why: `the capture on ${pt.node} ${pt.dev} ${c.state}: ${c.why}` };
  const seen = c.packets.filter((x) => x.id === p.id && x.src === p.src && x.dst === p.dst).length;
  return { ...pt, state: seen > 0 ? 'captured' : 'not-captured', seen };
}

export function observe(plan: ActivePlan, results: ActiveResults): ProbeObservation[] {
  return plan.probes.map((p): ProbeObservation => {
    const s = results.senders.find((x) => x.node === p.from);
    const points = p.path.map((pt) => pointOf(p, pt, results.captures));
    const noSender = senderWhy(s, p.from);
    if (noSender !== undefined) return { probe: p, state: 'unknown', points, sent: 0, why: noSender };
    const out = s?.state === 'ran' ? s.sends.find((x) => x.id === p.id) : undefined;
    const sent = out?.sent ?? 0;
    if (sent === 0)
      return out?.error !== undefined
        ? { probe: p, state: 'refused', points, sent, why: out.error }
        : {
            probe: p,
            state: 'unknown',
            points,
            sent,
            why: `the sender on ${p.from} reported nothing for probe ${p.id}`,
          };
    const first = points.findIndex((x) => x.state !== 'captured');
    if (first < 0) return { probe: p, state: 'arrived', points, sent };
    const at = points[first]!;
    if (at.state === 'unknown') return { probe: p, state: 'unknown', points, sent, why: at.why ?? 'unknown' };
    return { probe: p, state: first === 0 ? 'not-left' : 'lost', points, sent };
  });
}

function shape(p: UnderlayProbe): string {
  return p.kind === 'vxlan' ? `VXLAN (UDP ${p.port})` : p.kind === 'ipip' ? 'IPIP (IP protocol 4)' : 'pod traffic';
}

function lostProtocol(p: UnderlayProbe): string {
  return p.kind === 'vxlan'
    ? `UDP ${p.port}`
    : p.kind === 'ipip'
      ? 'IP protocol 4'
      : `packets from pod addresses (${p.src})`;
}

function evidence(o: ProbeObservation): string[] {
  const p = o.probe;
  return [
    `probe ${p.id}: ${p.standsFor}, ${p.src} → ${p.dst}, ${p.size} bytes${p.df ? ', DF' : ''}, ${o.sent} sent from ${p.from}`,
    ...o.points.map(
      (x) =>
        `tcpdump -i ${x.dev} on ${x.node}: ${x.state === 'unknown' ? `unknown (${x.why})` : `${x.seen ?? 0} of ${o.sent} captured`}`,
    ),
  ];
}

function pairKey(p: { from: string; to: string }): string {
  return `${p.from}|${p.to}`;
}

/** The findings the observations support, with the engine's prediction beside them on a flow. */
export function activeFindings(obs: readonly ProbeObservation[], flow?: readonly PairPrediction[]): Finding[] {
  const out: Finding[] = [];
  for (const o of obs) {
    const p = o.probe;
    const [a, b] = [o.points[0]!, o.points[1]!];
    if (o.state === 'lost') {
      const reached = obs.find(
        (x) =>
          x.probe.purpose === 'reach' &&
          x.probe.kind === p.kind &&
          pairKey(x.probe) === pairKey(p) &&
          x.state === 'arrived',
      );
      const where = `left ${a.node} ${a.dev} as ${shape(p)} ${p.src} → ${p.dst} (captured), never reached ${b.node} ${b.dev}`;
      if (p.purpose === 'mtu' && reached !== undefined)
        out.push(
          finding('path-mtu-black-hole', {
            node: p.from,
            summary: `${p.from} → ${p.to}: a ${p.size}-byte ${shape(p)} packet with DF ${where}, while ${reached.probe.size}-byte ones arrive: the network between them does not carry ${p.size} bytes`,
            evidence: evidence(o),
          }),
        );
      else if (p.purpose === 'reach')
        out.push(
          finding(p.kind === 'routed' ? 'underlay-drops-pod-traffic' : 'underlay-drops-encapsulation', {
            node: p.from,
            summary: `${p.from} → ${p.to}: ${where}: the network between them drops ${lostProtocol(p)}`,
            evidence: evidence(o),
          }),
        );
    }
    if (o.state === 'not-left')
      out.push(
        finding('prediction-mismatch', {
          node: p.from,
          summary: `${p.from} → ${p.to}: the engine sends ${shape(p)} ${p.src} → ${p.dst} out of ${a.node} ${a.dev}; it was not captured there`,
          evidence: [`engine: ${p.standsFor} leaves ${a.node} by ${a.dev}`, ...evidence(o)],
        }),
      );
  }
  const unknown = new Map<string, ProbeObservation[]>();
  for (const o of obs) if (o.state === 'unknown') unknown.set(o.why ?? '', [...(unknown.get(o.why ?? '') ?? []), o]);
  for (const [why, os] of unknown)
    out.push(
      finding('active-not-observed', {
        node: os[0]!.probe.from,
        summary: `${os.length} probe(s) not observed: ${why}`,
        evidence: os.slice(0, 5).flatMap((o) => evidence(o).slice(0, 1)),
      }),
    );
  if (flow !== undefined) out.push(...flowFindings(obs, flow));
  return out;
}

function flowFindings(obs: readonly ProbeObservation[], flow: readonly PairPrediction[]): Finding[] {
  const out: Finding[] = [];
  const forwardOk = flow
    .filter((f) => f.direction === 'forward')
    .every((f) => obs.filter((o) => pairKey(o.probe) === pairKey(f)).every((o) => o.state === 'arrived'));
  for (const f of flow) {
    const lost = obs.filter((o) => pairKey(o.probe) === pairKey(f) && o.state === 'lost');
    if (lost.length === 0) continue;
    const o = lost[0]!;
    if (f.delivered)
      out.push(
        finding('prediction-mismatch', {
          node: f.from,
          summary: `the engine's ${f.direction} trace crosses ${f.from} → ${f.to} and is delivered; a probe of that traffic was lost between them`,
          evidence: [`engine (${f.direction}): ${f.engine}`, ...evidence(o)],
        }),
      );
    if (f.direction === 'reply' && forwardOk)
      out.push(
        finding('reply-path-broken', {
          node: f.from,
          summary: `${f.to} → ${f.from} carries the flow's packets, ${f.from} → ${f.to} loses its replies (${shape(o.probe)})`,
          evidence: evidence(o),
        }),
      );
  }
  return out;
}
