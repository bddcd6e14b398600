// One flow, analysed: every branch traced both ways, a verdict, and the findings that explain it.
import type { FlowResult, Trace } from '../../engine/trace.ts';
import type { Packet } from '../../engine/packet.ts';
import { traceFlow } from '../../engine/flow.ts';
import type { Endpoint } from '../../engine/walk.ts';
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';
import { classifyTrace, decidingHop } from './classify.ts';
import { explainPolicyDrop } from './policy-drop.ts';
import { findingFromTrace } from './from-trace.ts';
import { neighborFix } from './neighbor-fix.ts';

export type QueryVerdict = 'reachable' | 'unreachable' | 'partial' | 'unknown';

export interface FlowCase {
  /** How the report names this flow: "default/web-0 → 10.244.1.5 tcp/80". */
  label: string;
  from: Endpoint;
  packet: Packet;
}

export interface FlowReport {
  label: string;
  results: FlowResult[];
  verdict: QueryVerdict;
  findings: Finding[];
}

type Outcome = 'ok' | 'fail' | 'unknown';

function outcomeOf(r: FlowResult): Outcome {
  const traces: Trace[] = r.reply !== undefined ? [r.forward, r.reply] : [r.forward];
  if (traces.some((t) => t.verdict === 'unknown')) return 'unknown';
  if (r.forward.verdict !== 'delivered') return 'fail';
  if (r.reply === undefined) return 'unknown';
  if (r.reply.verdict !== 'delivered') return 'fail';
  return 'ok';
}

/** Every branch ok: reachable; every branch failing: unreachable; some of each: partial. */
export function combineVerdicts(outcomes: readonly QueryVerdict[]): QueryVerdict {
  if (outcomes.length === 0) return 'unknown';
  if (outcomes.every((o) => o === 'reachable')) return 'reachable';
  if (outcomes.every((o) => o === 'unreachable')) return 'unreachable';
  if (outcomes.some((o) => o === 'reachable') && outcomes.some((o) => o !== 'reachable')) return 'partial';
  if (outcomes.some((o) => o === 'partial')) return 'partial';
  return outcomes.some((o) => o === 'unreachable') && !outcomes.some((o) => o === 'unknown')
    ? 'unreachable'
    : 'unknown';
}

function toVerdict(o: Outcome): QueryVerdict {
  return o === 'ok' ? 'reachable' : o === 'fail' ? 'unreachable' : 'unknown';
}

export function analyzeFlow(ctx: AnalysisContext, c: FlowCase): FlowReport {
  const results = traceFlow(ctx.world, ctx.engine, c.from, c.packet);
  const findings: Finding[] = [];
  const outcomes: QueryVerdict[] = [];
  for (const r of results) {
    const failed = classifyTrace(r.forward) !== undefined ? r.forward : r.reply;
    const f = failed !== undefined ? findingFromTrace(failed, c.label) : undefined;
    if (f !== undefined)
      findings.push(explainPolicyDrop(ctx, fitNeighborFix(ctx, explainMartian(ctx, f), failed!), failed!));
    outcomes.push(toVerdict(outcomeOf(r)));
  }
  return { label: c.label, results, verdict: combineVerdicts(outcomes), findings };
}

/** A no-neighbor finding's fix, written for what its next hop is (neighbor-fix.ts). */
function fitNeighborFix(ctx: AnalysisContext, f: Finding, t: Trace): Finding {
  const hop = f.id === 'no-neighbor' ? decidingHop(t) : undefined;
  const fix = hop !== undefined ? neighborFix(ctx, hop) : undefined;
  return fix !== undefined ? { ...f, fix } : f;
}

/**
 * A martian source that is "an address of this host" because kube-proxy IPVS bound it on
 * kube-ipvs0 (a Service externalIP equal to another node's address, docs/incidents.md #4): say so,
 * since the sysctl-level fix would be wrong.
 */
function explainMartian(ctx: AnalysisContext, f: Finding): Finding {
  if (f.id !== 'martian-source' || f.node === undefined) return f;
  const m = /martian source (\d+\.\d+\.\d+\.\d+)/.exec(f.summary);
  const h = ctx.model.hosts.get(f.node);
  const a = m === null ? undefined : h?.addresses.find((x) => x.local === m[1] && x.dev === 'kube-ipvs0');
  if (a === undefined || m === null) return f;
  const svc = ctx.model.cluster.services.find(
    (s) => s.externalIPs.includes(m[1]!) || s.clusterIPs.includes(m[1]!) || s.loadBalancerIPs.includes(m[1]!),
  );
  return {
    ...f,
    summary: `${f.summary}: kube-proxy bound ${m[1]} on kube-ipvs0 of ${f.node}${svc !== undefined ? ` for Service ${svc.namespace}/${svc.name}` : ''}, so ${f.node} takes another node's address as its own`,
    evidence: [
      ...f.evidence,
      `${f.node}: ${a.raw.startsWith('{') ? `inet ${a.local}/${a.prefixLen} dev kube-ipvs0` : a.raw}`,
    ],
    fix:
      svc !== undefined
        ? `Remove ${m[1]} from Service ${svc.namespace}/${svc.name} (kubectl -n ${svc.namespace} patch svc ${svc.name} --type=json -p '[{"op":"remove","path":"/spec/externalIPs"}]'); see externalip-node-address.`
        : f.fix,
  };
}
