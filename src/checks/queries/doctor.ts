// kubectl netcheck doctor: every declared check on every probed node, with what each could not judge.
import type { AnalysisContext } from '../context.ts';
import { auditVerdict, dataMissingFindings, outsiderFindings } from '../coverage.ts';
import { NODE_CHECKS } from '../node/index.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { type RunHooks, runChecks } from '../run-checks.ts';
import { notesOf } from './common.ts';

export function doctor(ctx: AnalysisContext, only?: readonly string[], hooks: RunHooks = {}): ReportDoc {
  const checks = only === undefined ? NODE_CHECKS : NODE_CHECKS.filter((c) => only.includes(c.name));
  const run = runChecks(ctx, checks, {}, hooks);
  const findings = [...run.findings, ...dataMissingFindings(run.gaps), ...outsiderFindings(ctx)];
  const notes = notesOf(ctx.model);
  for (const [k, v] of [
    ['CNI', ctx.flavour.cni],
    ['IPAM', ctx.flavour.ipam],
    ['encapsulation', ctx.flavour.encapsulation],
    ['kube-proxy', ctx.flavour.proxy],
  ] as const) {
    if (v.because.length > 0) notes.push(`${k} ${v.value}: ${v.because.join('; ')}`);
  }
  // iptables is every CNI's default dataplane: only another one is worth a note.
  const dp = ctx.flavour.dataplane;
  if (dp !== undefined && dp.value !== 'iptables')
    notes.push(`${ctx.flavour.cni.value} dataplane ${dp.value}: ${dp.because.join('; ')}`);
  return reportDoc({
    query: { command: 'doctor', checks: checks.map((c) => c.name) },
    verdict: auditVerdict(findings),
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: [],
    findings,
    notes,
    checks: run.outcomes,
  });
}
