// The machine-readable result of a command (`-o json|yaml`), the schema of docs/architecture.md
// ("Checks and findings") and docs/findings.md: what the queries answer. report/ renders it —
// the table for people too, so both always say the same thing.
import { text, texts } from '../model/render/said.ts';
import type { Hop, HopEffect, HopReason, Trace } from '../engine/trace.ts';
import type { ClusterFlavour } from '../model/detect.ts';
import type { QueryVerdict } from './flow/analyze.ts';
import type { Finding } from './finding.ts';
import { dedupeFindings } from './finding.ts';
import type { CheckOutcome } from './run-checks.ts';
import type { ActiveDoc } from './active/merge.ts';

export const REPORT_API_VERSION = 'netcheck.dev/v1';

/**
 * doctor and the externalIP audit have no single path: their verdict says whether anything is
 * wrong — or, when nothing wrong was found but data was missing, that it is not known (`unknown`).
 */
export type AuditVerdict = 'healthy' | 'problems' | 'unknown';

export interface HopDoc {
  node: string;
  device?: string;
  step: Hop['step'];
  detail: string;
  /** The raw lines that decided this step, one per line. */
  evidence?: string;
  /** On the hop that ended a trace without delivery: why, typed (engine/trace.ts HopReason). */
  reason?: HopReason;
  /** What it did to the packet (engine/trace.ts HopEffect): the report draws the path from it. */
  effect?: HopEffect;
  /**
   * --active: a capture on this hop's device saw the flow's packet of this direction (captured),
   * did not (not-captured), or gave no result (unknown). Absent: the hop is only predicted.
   */
  observed?: 'captured' | 'not-captured' | 'unknown';
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

/** The NetworkPolicy objects' verdict for one connection (a Service: one per backend). */
export interface PolicyDoc {
  flow: string;
  /** From the objects alone (checks/policy, engine/policy/evaluate.ts). */
  verdict: 'allowed' | 'denied' | 'unknown';
  /** What the traced datapath did with the same connection; `not-walked` where it is not modelled (eBPF). */
  datapath: 'delivered' | 'dropped' | 'unknown' | 'not-walked';
  sides: { direction: 'ingress' | 'egress'; pod: string; verdict: 'allowed' | 'denied' | 'unknown'; reason: string }[];
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
  /** trace: the verdict of the NetworkPolicy objects for each destination pod, next to the datapath's. */
  policy?: PolicyDoc[];
  findings: Finding[];
  /** What limited the analysis: nodes not probed, collection warnings, parser warnings. */
  notes: string[];
  /** doctor: each check, whether it ran, was skipped (and why) or lacked data (and which). */
  checks?: CheckOutcome[];
  /** --active: every probe sent, its predicted path and what was captured at each point. */
  active?: ActiveDoc;
}

export function hopDoc(h: Hop): HopDoc {
  const d: HopDoc = { node: h.node, step: h.step, detail: text(h.detail) };
  if (h.device !== undefined) d.device = h.device;
  if (h.evidence.length > 0) d.evidence = texts(h.evidence).join('\n');
  if (h.reason !== undefined) d.reason = h.reason;
  if (h.effect !== undefined) d.effect = h.effect;
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
  parts: Omit<ReportDoc, 'apiVersion' | 'kind' | 'findings' | 'checks'> & {
    findings: readonly Finding[];
    checks?: CheckOutcome[];
  },
): ReportDoc {
  const query = Object.fromEntries(
    Object.entries(parts.query).filter(([, v]) => v !== undefined),
  ) as ReportDoc['query'];
  const { checks, ...rest } = parts;
  return {
    apiVersion: REPORT_API_VERSION,
    kind: 'Report',
    ...rest,
    query,
    findings: dedupeFindings(parts.findings),
    ...(checks !== undefined ? { checks } : {}),
  };
}
