// Pieces every query shares: the engine's endpoint for a pod, notes on what limited the analysis.
import { parseIpv4 } from '../../lib/ipv4.ts';
import type { PodInfo } from '../../model/cluster.ts';
import type { Model } from '../../model/model.ts';
import type { Endpoint } from '../../engine/walk.ts';
import { InputError } from '../../lib/errors.ts';
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';
import { FINDINGS } from '../catalog.ts';
import type { FlowReport } from '../flow/analyze.ts';
import type { TraceDoc } from '../../report/document.ts';
import { traceDoc } from '../../report/document.ts';
import { NODE_CHECKS } from '../node/index.ts';

export function podIp(p: PodInfo): string {
  const ip = p.ips.find((x) => parseIpv4(x) !== undefined);
  if (ip === undefined)
    throw new InputError(`pod ${p.namespace}/${p.name} has no IPv4 address (phase ${p.phase ?? 'unknown'})`);
  return ip;
}

/** The engine's endpoint for a pod; host-network pods are their node. */
export function podEndpoint(ctx: AnalysisContext, p: PodInfo): Endpoint {
  const ip = podIp(p);
  if (p.node === undefined) throw new InputError(`pod ${p.namespace}/${p.name} is not scheduled on a node`);
  if (p.hostNetwork) return { kind: 'host', host: p.node, ip: parseIpv4(ip)! };
  const ep = ctx.world.pods.find((x) => x.name === `${p.namespace}/${p.name}` && parseIpv4(ip) === x.ip);
  if (ep === undefined)
    return { kind: 'pod', pod: { name: `${p.namespace}/${p.name}`, ip: parseIpv4(ip)!, node: p.node } };
  return { kind: 'pod', pod: ep };
}

/** Findings for nodes a question needs that the snapshot could not probe. */
export function unprobedFindings(model: Model, nodes: Iterable<string>): Finding[] {
  const out: Finding[] = [];
  for (const n of new Set(nodes)) {
    const why = model.unprobed.get(n) ?? (model.hosts.has(n) ? undefined : 'the snapshot has no entry for this node');
    if (why === undefined) continue;
    out.push({
      id: 'node-not-probed',
      severity: 'warning',
      node: n,
      summary: `${n} was not probed: nothing on it could be checked`,
      evidence: [why],
      fix: FINDINGS['node-not-probed'].fix,
    });
  }
  return out;
}

export function notesOf(model: Model): string[] {
  return [...model.warnings];
}

export function traceDocs(reports: readonly FlowReport[]): TraceDoc[] {
  return reports.flatMap((r) =>
    r.results.flatMap((x) => [
      traceDoc(r.label, x.forward),
      ...(x.reply !== undefined ? [traceDoc(r.label, x.reply)] : []),
    ]),
  );
}

/**
 * Doctor checks about the nodes a flow involves, when the flow does not fully work: its cause is
 * often there (a subnet mismatch, a wrong tunnel route) even where the trace stops short of it —
 * at an unprobed router, say. A flow that works gets no such findings: they would answer another question.
 */
const PATH_CHECKS = new Set([
  'ip-forward',
  'forward-policy',
  'pod-routes',
  'tunnel-next-hop',
  'tunnel-source',
  'rp-filter',
  'pod-subnet',
  'tunnel-mtu',
  'br-netfilter',
]);

export function pathNodeFindings(
  ctx: AnalysisContext,
  reports: readonly FlowReport[],
  endpoints: readonly string[],
): Finding[] {
  if (reports.every((r) => r.verdict === 'reachable')) return [];
  const nodes = new Set(endpoints);
  for (const r of reports)
    for (const x of r.results)
      for (const t of [x.forward, ...(x.reply !== undefined ? [x.reply] : [])])
        for (const h of t.hops) nodes.add(h.node);
  return NODE_CHECKS.filter((c) => PATH_CHECKS.has(c.name))
    .flatMap((c) => c.run(ctx))
    .filter((f) => f.node !== undefined && nodes.has(f.node));
}
