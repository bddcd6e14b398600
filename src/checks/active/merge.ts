// `--active` in the report: the probes with their observed paths (the report's `active` part),
// their findings next to the static ones, and the pairs of nodes a flow's traces cross (what a
// flow command probes, with the engine's prediction for each).
import type { ActivePlan, ActiveResults, UnderlayProbe } from '../../snapshot/active.ts';
import { auditVerdict } from '../coverage.ts';
import { dedupeFindings } from '../finding.ts';
import type { ReportDoc, TraceDoc } from '../report-doc.ts';
import { activeFindings, observe } from './localise.ts';
import type { ObservedPoint, PairPrediction, ProbeState } from './localise.ts';
import type { PairScope } from './plan.ts';

export interface ActiveProbeDoc extends Omit<UnderlayProbe, 'path' | 'count'> {
  sent: number;
  state: ProbeState;
  why?: string;
  /** The predicted path, each point marked as observed. */
  path: ObservedPoint[];
}

export interface ActiveDoc {
  /** Milliseconds the probing took (probe pods included). */
  elapsedMs: number;
  probes: ActiveProbeDoc[];
  /** Pairs and probes not planned, and why. */
  skipped: string[];
}

/** The ordered node pairs a flow's traces cross, with the engine's verdict across each. */
export function flowPairs(traces: readonly TraceDoc[], srcIp: string, dstIp: string): (PairScope & PairPrediction)[] {
  const out = new Map<string, PairScope & PairPrediction>();
  for (const t of traces) {
    for (let i = 1; i < t.hops.length; i++) {
      const [a, b] = [t.hops[i - 1]!, t.hops[i]!];
      if (a.node === b.node) continue;
      const k = `${a.node}|${b.node}`;
      if (out.has(k)) continue;
      const forward = t.direction === 'forward';
      out.set(k, {
        from: a.node,
        to: b.node,
        direction: t.direction,
        delivered: t.verdict === 'delivered',
        engine: `${a.node} ${a.device ?? ''}: ${a.detail}`.replace(/ {2,}/g, ' '),
        podSrc: forward ? srcIp : dstIp,
        podDst: forward ? dstIp : srcIp,
      });
    }
  }
  return [...out.values()];
}

/** A report with what --active observed merged in; an audit's verdict is decided again with it. */
export function mergeActive(
  doc: ReportDoc,
  plan: ActivePlan,
  results: ActiveResults,
  flow?: readonly PairPrediction[],
): ReportDoc {
  const obs = observe(plan, results);
  const findings = dedupeFindings([...doc.findings, ...activeFindings(obs, flow)]);
  const active: ActiveDoc = {
    elapsedMs: results.elapsedMs,
    probes: obs.map(({ probe: { path: _p, count: _c, ...rest }, state, points, sent, why }) => ({
      ...rest,
      sent,
      state,
      ...(why !== undefined ? { why } : {}),
      path: points,
    })),
    skipped: plan.skipped,
  };
  return {
    ...doc,
    verdict: doc.query.command === 'doctor' ? auditVerdict(findings) : doc.verdict,
    findings,
    active,
  };
}
