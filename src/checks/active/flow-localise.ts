// Judges the flow `--active` sent itself (pure): whether it was answered, where each direction's
// packet was last captured and first missed on the predicted path, and whether that agrees with
// the engine's traces. A sender that could not enter the pod, a capture that did not run: unknown,
// naming why; nothing is concluded from them.
import type {
  AttemptOutcome,
  FlowCaptureResult,
  FlowPoint,
  FlowProbe,
  FlowResults,
} from '../../snapshot/active-flow.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import type { HopDoc, TraceDoc } from '../report-doc.ts';
import type { PointState } from './localise.ts';

export interface ObservedFlowPoint extends FlowPoint {
  state: PointState;
  /** Packets of this direction captured there. */
  seen?: number;
  /** How it was captured when encapsulated: "VXLAN 192.168.1.11 → 192.168.1.13". */
  outer?: string;
  why?: string;
}

/** answered: an attempt got its answer; refused: RST or ICMP unreachable; not-answered: nothing came back. */
export type FlowState = 'answered' | 'refused' | 'not-answered' | 'unknown';

/** Where a direction's packet was lost: the last point that captured it, the first that did not. */
export interface FlowLoss {
  after?: ObservedFlowPoint;
  before: ObservedFlowPoint;
  /** Points between the two that gave no result: the loss may be at any of them. */
  unobserved?: string[];
}

export interface FlowObservation {
  probe: FlowProbe;
  state: FlowState;
  attempts: AttemptOutcome[];
  /** unknown: why. */
  why?: string;
  /** The destination's listener: connections or datagrams it got; `in-use`: the pod's own server answered. */
  listener?: { received: number } | { state: 'in-use' } | { unknown: string };
  forward: ObservedFlowPoint[];
  reply: ObservedFlowPoint[];
  lost?: { direction: 'forward' | 'reply'; at: FlowLoss };
}

function pointOf(
  pt: FlowPoint,
  direction: 'forward' | 'reply',
  captures: readonly FlowCaptureResult[],
): ObservedFlowPoint {
  if (pt.unwatched !== undefined) return { ...pt, state: 'unknown', why: pt.unwatched };
  const c = captures.find((x) => x.node === pt.node && x.dev === pt.dev);
  if (c === undefined)
    return { ...pt, state: 'unknown', why: `no capture on ${pt.node} ${pt.dev} (not a cluster node)` };
  if (c.state === 'tool-missing') return { ...pt, state: 'unknown', why: `${c.tool} is missing on ${pt.node}` };
  if (c.state !== 'ran')
    return { ...pt, state: 'unknown', why: `the capture on ${pt.node} ${pt.dev} ${c.state}: ${c.why}` };
  const mine = c.packets.filter((x) => x.direction === direction);
  const outer = mine.find((x) => x.outer !== undefined)?.outer;
  return {
    ...pt,
    state: mine.length > 0 ? 'captured' : 'not-captured',
    seen: mine.length,
    ...(outer !== undefined ? { outer } : {}),
  };
}

/** The loss along one direction's points: after the last capture, the first point known to miss it. */
function lossOf(points: readonly ObservedFlowPoint[]): FlowLoss | undefined {
  const last = points.map((p) => p.state).lastIndexOf('captured');
  const before = points.slice(last + 1).find((p) => p.state === 'not-captured');
  if (before === undefined) return undefined;
  const between = points.slice(last + 1, points.indexOf(before)).map(pointText);
  return {
    ...(last >= 0 ? { after: points[last]! } : {}),
    before,
    ...(between.length > 0 ? { unobserved: between } : {}),
  };
}

function senderWhy(r: FlowResults['sender'], p: FlowProbe): string | undefined {
  if (r.state === 'ran') return undefined;
  if (r.state === 'no-netns')
    return `netcheck cannot enter the network namespace of ${p.src} on ${p.srcNode}: ${r.why}`;
  if (r.state === 'tool-missing') return `${r.tool} is missing on ${p.srcNode} (the flow needs nsenter and python3)`;
  return `the flow's sender on ${p.srcNode} ${r.state === 'timed-out' ? 'timed out' : 'failed'}: ${r.why}`;
}

export function observeFlow(p: FlowProbe, r: FlowResults): FlowObservation {
  const forward = p.forward.map((x) => pointOf(x, 'forward', r.captures));
  const reply = p.reply.map((x) => pointOf(x, 'reply', r.captures));
  const l = r.listener;
  const listener: FlowObservation['listener'] =
    l === undefined
      ? undefined
      : l.state === 'ran'
        ? { received: l.received }
        : l.state === 'in-use'
          ? { state: 'in-use' }
          : { unknown: l.state === 'tool-missing' ? `${l.tool} is missing on ${p.listenNode}` : l.why };
  const base = { probe: p, forward, reply, ...(listener !== undefined ? { listener } : {}) };
  const why = senderWhy(r.sender, p);
  if (r.sender.state !== 'ran' || why !== undefined) return { ...base, state: 'unknown', attempts: [], why: why ?? '' };
  const attempts = r.sender.attempts;
  const state: FlowState = attempts.includes('answered')
    ? 'answered'
    : attempts.length > 0 && attempts.every((a) => a === 'refused')
      ? 'refused'
      : 'not-answered';
  if (state === 'answered') return { ...base, state, attempts };
  const fwd = lossOf(forward);
  const received = listener !== undefined && 'received' in listener && listener.received > 0;
  // The forward packet reached the destination (the listener got it, or the last point captured it).
  const arrived = received || forward.at(-1)?.state === 'captured';
  const rep = arrived ? lossOf(reply) : undefined;
  const lost =
    !arrived && fwd !== undefined
      ? { direction: 'forward' as const, at: fwd }
      : rep !== undefined
        ? { direction: 'reply' as const, at: rep }
        : undefined;
  return { ...base, state, attempts, ...(lost !== undefined ? { lost } : {}) };
}

function pointText(x: ObservedFlowPoint): string {
  return `${x.node} ${x.dev}`;
}

function flowName(p: FlowProbe): string {
  return `${p.src} → ${p.dst} ${p.protocol}${p.port !== undefined ? `/${p.port}` : ''}`;
}

/** "left node-a eth0 as VXLAN 192.168.1.11 → 192.168.1.13 (captured), never reached node-c eth0". */
export function lossText(l: FlowLoss, direction: 'forward' | 'reply'): string {
  const what = direction === 'forward' ? 'the packet' : 'the reply';
  const gap = l.unobserved !== undefined ? ` (${l.unobserved.join(', ')} between: not observed)` : '';
  if (l.after === undefined) return `${what} was never captured, not even at ${pointText(l.before)}${gap}`;
  return `${what} left ${pointText(l.after)}${l.after.outer !== undefined ? ` as ${l.after.outer}` : ''} (captured), never reached ${pointText(l.before)}${gap}`;
}

function evidence(o: FlowObservation): string[] {
  const p = o.probe;
  const points = (d: 'forward' | 'reply', xs: readonly ObservedFlowPoint[]) =>
    xs.map(
      (x) =>
        `${d}: tcpdump -i ${x.dev} on ${x.node}: ${x.state === 'unknown' ? `unknown (${x.why})` : `${x.seen ?? 0} packet(s)${x.outer !== undefined ? ` (${x.outer})` : ''}`}`,
    );
  const l = o.listener;
  return [
    `sent from ${p.src}'s network namespace on ${p.srcNode}: ${o.attempts.join(', ') || 'nothing'}`,
    ...(l === undefined
      ? []
      : [
          `listener in ${p.dst}'s network namespace on ${p.listenNode}: ${'received' in l ? `${l.received} received` : 'state' in l ? 'the port was in use (the pod answers itself)' : `unknown (${l.unknown})`}`,
        ]),
    ...points('forward', o.forward),
    ...points('reply', o.reply),
  ];
}

/** Where the engine's trace of a direction ends, and whether it delivered. */
function predicted(t: TraceDoc | undefined): { delivered: boolean; last?: HopDoc; text: string } {
  if (t === undefined) return { delivered: false, text: 'no trace' };
  const last = t.hops.at(-1);
  const text = `${t.verdict}${last !== undefined ? ` at ${last.node} ${last.device ?? ''} ${last.step}: ${last.detail}` : ''}`;
  return { delivered: t.verdict === 'delivered', ...(last !== undefined ? { last } : {}), text };
}

/**
 * The findings of the flow: not answered (localised), and any disagreement with the engine's
 * traces (prediction-mismatch, both sides quoted): delivered by the engine but not answered,
 * answered though the engine stops it, or lost before the hop the engine stops it at.
 */
export function flowFindings(o: FlowObservation, traces: readonly TraceDoc[]): Finding[] {
  const p = o.probe;
  const out: Finding[] = [];
  if (o.state === 'unknown') {
    out.push(
      finding('active-not-observed', {
        node: p.srcNode,
        summary: `the flow ${flowName(p)} was not sent: ${o.why}`,
        evidence: evidence(o),
      }),
    );
    return out;
  }
  // A refusal (RST, ICMP unreachable) is an answer: a finding only where netcheck's own listener
  // was bound, so that something else on the path refused it (a REJECT rule). Without one (a
  // Service's backends, the pod's own server) it may only say that nothing listens: no finding.
  const ours = o.listener !== undefined && 'received' in o.listener;
  if (o.state === 'refused' && !ours) return out;
  const fwd = predicted(traces.find((t) => t.direction === 'forward'));
  const rep = predicted(traces.find((t) => t.direction === 'reply'));
  const engineOk = fwd.delivered && rep.delivered;
  const where = o.lost !== undefined ? `: ${lossText(o.lost.at, o.lost.direction)}` : '';
  if (o.state !== 'answered')
    out.push(
      finding('flow-not-answered', {
        node: o.lost?.at.before.node ?? p.srcNode,
        summary: `${flowName(p)} sent from the pod's own namespace was ${o.state === 'refused' ? 'refused' : 'not answered'}${where}`,
        evidence: evidence(o),
      }),
    );
  const mismatch = (summary: string) =>
    out.push(
      finding('prediction-mismatch', {
        node: p.srcNode,
        summary,
        evidence: [`engine (forward): ${fwd.text}`, `engine (reply): ${rep.text}`, ...evidence(o)],
      }),
    );
  if (engineOk && o.state !== 'answered')
    mismatch(
      `the engine delivers ${flowName(p)} both ways; the real flow was ${o.state === 'refused' ? 'refused' : 'not answered'}${where}`,
    );
  else if (!engineOk && o.state === 'answered')
    mismatch(
      `the engine does not deliver ${flowName(p)} (${!fwd.delivered ? fwd.text : rep.text}); the real flow was answered`,
    );
  else if (!fwd.delivered && o.lost?.direction === 'forward' && fwd.last !== undefined) {
    // The engine stops it at a hop whose device is on the path: a loss before that device disagrees.
    const stop = o.forward.findIndex((x) => x.node === fwd.last!.node && x.dev === fwd.last!.device);
    const missed = o.forward.indexOf(o.lost.at.before);
    if (stop >= 0 && missed >= 0 && missed <= stop)
      mismatch(
        `the engine walks ${flowName(p)} to ${fwd.last.node} ${fwd.last.device} (${fwd.text}); ${lossText(o.lost.at, 'forward')}`,
      );
  }
  return out;
}

/** The traces with each hop on a captured device marked as observed there (the other hops are predicted). */
export function markHops(traces: readonly TraceDoc[], o: FlowObservation): TraceDoc[] {
  const first = { forward: true, reply: true };
  return traces.map((t) => {
    // Only the first trace of each direction is the one the points were taken from.
    if (!first[t.direction]) return t;
    first[t.direction] = false;
    const points = t.direction === 'forward' ? o.forward : o.reply;
    return {
      ...t,
      hops: t.hops.map((h) => {
        const x = points.find((pt) => pt.node === h.node && pt.dev === h.device);
        return x === undefined ? h : { ...h, observed: x.state };
      }),
    };
  });
}
