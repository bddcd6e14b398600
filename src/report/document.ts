// The machine-readable result of a command (`-o json|yaml`), the schema of ARCHITECTURE.md
// ("Checks and findings") and docs/findings.md. The table for people is rendered from it too,
// so both always say the same thing.
import type { Hop, Trace } from '../engine/trace.ts';
import type { QueryVerdict } from '../checks/flow/analyze.ts';
import type { Finding, Severity } from '../checks/finding.ts';
import { dedupeFindings } from '../checks/finding.ts';
import type { ClusterFlavour } from '../model/detect.ts';

export const REPORT_API_VERSION = 'netcheck.dev/v1';

/** doctor and the externalIP audit have no single path: their verdict says whether anything is wrong. */
export type AuditVerdict = 'healthy' | 'problems';

export interface HopDoc {
  node: string;
  device?: string;
  step: Hop['step'];
  detail: string;
  /** The raw lines that decided this step, one per line. */
  evidence?: string;
}

export interface TraceDoc {
  /** Which flow of the query this trace belongs to. */
  flow: string;
  direction: Trace['direction'];
  verdict: Trace['verdict'];
  seenAs?: Trace['seenAs'];
  deliveredTo?: string;
  /** Choices this branch stands for (an endpoint picked by load balancing, a multipath next hop). */
  branch?: string[];
  hops: HopDoc[];
}

export interface ReportDoc {
  apiVersion: typeof REPORT_API_VERSION;
  kind: 'Report';
  query: { command: string } & Record<string, string | number | boolean | string[] | undefined>;
  verdict: QueryVerdict | AuditVerdict;
  cluster: {
    context?: string;
    capturedAt: string;
    cni: string;
    /** The CNI's IPAM mode (calico-ipam, host-local (usePodCidr), kubernetes, cluster-pool, …). */
    ipam: string;
    encapsulation: string;
    kubeProxy: string;
    nodes: string[];
  };
  traces: TraceDoc[];
  findings: Finding[];
  /** What limited the analysis: nodes not probed, collection warnings. */
  notes: string[];
}

export function hopDoc(h: Hop): HopDoc {
  const d: HopDoc = { node: h.node, step: h.step, detail: h.detail };
  if (h.device !== undefined) d.device = h.device;
  if (h.evidence.length > 0) d.evidence = h.evidence.join('\n');
  return d;
}

export function traceDoc(flow: string, t: Trace): TraceDoc {
  const d: TraceDoc = { flow, direction: t.direction, verdict: t.verdict, hops: t.hops.map(hopDoc) };
  if (t.seenAs !== undefined) d.seenAs = t.seenAs;
  if (t.deliveredTo !== undefined) d.deliveredTo = t.deliveredTo;
  if (t.branch.length > 0) d.branch = t.branch;
  return d;
}

export function clusterDoc(
  flavour: ClusterFlavour,
  m: { context?: string; capturedAt: string; hosts: Map<string, unknown> },
): ReportDoc['cluster'] {
  const c: ReportDoc['cluster'] = {
    capturedAt: m.capturedAt,
    cni: flavour.cni.value,
    ipam: flavour.ipam.value,
    encapsulation: flavour.encapsulation.value,
    kubeProxy: flavour.proxy.value,
    nodes: [...m.hosts.keys()],
  };
  if (m.context !== undefined) c.context = m.context;
  return c;
}

export function reportDoc(
  parts: Omit<ReportDoc, 'apiVersion' | 'kind' | 'findings'> & { findings: readonly Finding[] },
): ReportDoc {
  const query = Object.fromEntries(
    Object.entries(parts.query).filter(([, v]) => v !== undefined),
  ) as ReportDoc['query'];
  return { apiVersion: REPORT_API_VERSION, kind: 'Report', ...parts, query, findings: dedupeFindings(parts.findings) };
}

const PROBLEM: ReadonlySet<Severity> = new Set(['critical', 'error', 'warning']);

/** Exit status: 0 nothing wrong, 1 problems found (ARCHITECTURE.md "Checks and findings"). */
export function exitStatus(doc: ReportDoc): 0 | 1 {
  if (doc.verdict !== 'reachable' && doc.verdict !== 'healthy') return 1;
  return doc.findings.some((f) => PROBLEM.has(f.severity)) ? 1 : 0;
}
