// The --active step of a command, after its static analysis: plan the probes from the analysis,
// then print them (--dry-run) or send them through the probe pods and merge what was observed.
import { randomInt } from 'node:crypto';
import { mergeActive } from '../checks/active/merge.ts';
import type { PairPrediction } from '../checks/active/localise.ts';
import { planProbes } from '../checks/active/plan.ts';
import type { PlanScope } from '../checks/active/plan.ts';
import type { AnalysisContext } from '../checks/context.ts';
import type { FlowPlan } from '../collect/active/flow.ts';
import type { ActivePlan } from '../collect/active/probes.ts';
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
