// kubectl netcheck doctor: every cluster-wide check on every probed node.
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';
import { NODE_CHECKS } from '../node/index.ts';
import { clusterDoc, reportDoc } from '../../report/document.ts';
import type { ReportDoc } from '../../report/document.ts';
import { notesOf } from './common.ts';

export function doctor(ctx: AnalysisContext, only?: readonly string[]): ReportDoc {
  const checks = only === undefined ? NODE_CHECKS : NODE_CHECKS.filter((c) => only.includes(c.name));
  const findings: Finding[] = checks.flatMap((c) => c.run(ctx));
  const notes = notesOf(ctx.model);
  for (const [k, v] of [
    ['CNI', ctx.flavour.cni],
    ['IPAM', ctx.flavour.ipam],
    ['encapsulation', ctx.flavour.encapsulation],
    ['kube-proxy', ctx.flavour.proxy],
  ] as const) {
    if (v.because.length > 0) notes.push(`${k} ${v.value}: ${v.because.join('; ')}`);
  }
  for (const h of ctx.model.hosts.values())
    if (h.warnings.length > 0) notes.push(`${h.name}: ${h.warnings.length} parser warning(s), first: ${h.warnings[0]}`);
  return reportDoc({
    query: { command: 'doctor', checks: checks.map((c) => c.name) },
    verdict: findings.some((f) => f.severity !== 'info') ? 'problems' : 'healthy',
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: [],
    findings,
    notes,
  });
}
