// The report layer's view of a command's result: the document the queries build
// (checks/report-doc.ts). Its verdict and exit status are decided together in verdict.ts.
export type { AuditVerdict, HopDoc, ReportDoc, TraceDoc } from '../checks/report-doc.ts';
