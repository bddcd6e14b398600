// The report layer's view of a command's result: the document the queries build
// (checks/report-doc.ts), and the exit status it means.
import type { Severity } from '../checks/finding.ts';
import type { ReportDoc } from '../checks/report-doc.ts';

export type { AuditVerdict, HopDoc, ReportDoc, TraceDoc } from '../checks/report-doc.ts';

const PROBLEM: ReadonlySet<Severity> = new Set(['critical', 'error', 'warning']);

/** Exit status: 0 nothing wrong, 1 problems found (ARCHITECTURE.md "Checks and findings"). */
export function exitStatus(doc: ReportDoc): 0 | 1 {
  if (doc.verdict !== 'reachable' && doc.verdict !== 'healthy') return 1;
  return doc.findings.some((f) => PROBLEM.has(f.severity)) ? 1 : 0;
}
