// The --active step of a command, after its static analysis: plan the probes from the analysis,
// then print them (--dry-run) or send them through the probe pods and merge what was observed.
import { randomInt } from 'node:crypto';
import { planFlow } from '../checks/active/flow-plan.ts';
import { isIpv4 } from '../lib/ipv4.ts';
import type { FlowEnd } from '../checks/active/flow-plan.ts';
import { flowPairs, mergeActive } from '../checks/active/merge.ts';
import type { PairPrediction } from '../checks/active/localise.ts';
import { planProbes } from '../checks/active/plan.ts';
import type { PlanScope } from '../checks/active/plan.ts';
import type { AnalysisContext } from '../checks/context.ts';
import type { FlowPlan, FlowProtocol } from '../snapshot/active-flow.ts';
import type { ActivePlan } from '../snapshot/active.ts';
import type { ReportDoc } from '../checks/report-doc.ts';
import { planText } from '../report/active.ts';
import type { ActiveMode } from './options/active.ts';
import type { Source } from './options/source.ts';
import { probeProgress } from './progress.ts';

/** The report with the observations merged in; undefined after a dry run (the plan was printed). */
export async function activeStep(
  ctx: AnalysisContext,
  doc: ReportDoc,
  mode: Exclude<ActiveMode, 'off'>,
  source: Source,
  scope: PlanScope = {},
  flow?: readonly PairPrediction[],
  own?: { plan: FlowPlan } | { skipped: string },
): Promise<ReportDoc | undefined> {
  const plan: ActivePlan = planProbes(ctx, scope, randomInt(1, 0xffff));
  if (own !== undefined && 'plan' in own) plan.flow = own.plan;
  if (own !== undefined && 'skipped' in own) plan.skipped.push(own.skipped);
  if (mode === 'dry-run' || source.kind === 'snapshot') {
    process.stdout.write(planText(plan));
    return undefined;
  }
  const { runActive } = await import('../collect/active/run.ts');
  const progress = await probeProgress();
  const results = await runActive(
    { ...source.live, ...(progress.onProgress !== undefined ? { onProgress: progress.onProgress } : {}) },
    plan,
  ).finally(() => progress.stop());
  return mergeActive(doc, plan, results, flow);
}

/** A flow's end for --active: one netcheck can send from or listen in, or why it cannot send from it. */
export type ActiveEnd = FlowEnd | { cannotSend: string; ip: string };

/**
 * --active on a flow command: the underlay probes across the node pairs its traces cross (with the
 * pods' own addresses on a routed pair when both ends are pods), and the flow itself when netcheck
 * can send from its source.
 */
export async function activeFlowStep(
  ctx: AnalysisContext,
  doc: ReportDoc,
  mode: Exclude<ActiveMode, 'off'>,
  source: Source,
  q: { protocol: FlowProtocol; port?: number },
  src: ActiveEnd,
  dst: FlowEnd,
): Promise<ReportDoc | undefined> {
  const bothPods = 'pod' in src && src.pod !== undefined && dst.pod !== undefined;
  const pairs = flowPairs(doc.traces, src.ip, dst.ip).map((p) => {
    if (bothPods) return p;
    const { podSrc: _s, podDst: _d, ...rest } = p;
    return rest;
  });
  const own = 'cannotSend' in src ? { skipped: src.cannotSend } : planFlow(ctx, doc.traces, q, src, dst);
  // Between two pods, the echoes of plan-local.ts too: node → pod, and pod ↔ pod on one node.
  const scope = {
    pairs,
    extraTargets: [src.ip, dst.ip].filter(isIpv4),
    ...(bothPods ? { pods: [src.ip, dst.ip] } : {}),
  };
  return activeStep(ctx, doc, mode, source, scope, pairs, own);
}
