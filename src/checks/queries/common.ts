// Pieces every query shares: the engine's endpoint for a pod, notes on what limited the analysis.
import { parseIpv4 } from '../../lib/ipv4.ts';
import type { PodInfo } from '../../model/cluster.ts';
import type { Model } from '../../model/model.ts';
import type { Endpoint } from '../../engine/walk.ts';
import { InputError } from '../../lib/errors.ts';
import type { AnalysisContext } from '../context.ts';
import { dataMissingFindings, flowObjectGaps, notProbedFindings, outsiderFindings, traceGaps } from '../coverage.ts';
import type { Finding } from '../finding.ts';
import type { FlowReport } from '../flow/analyze.ts';
import { runChecks } from '../run-checks.ts';
import type { DataGap } from '../run-checks.ts';
import type { TraceDoc } from '../report-doc.ts';
import { traceDoc } from '../report-doc.ts';
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

/** Collection warnings, then each node's parser warnings (how many, and the first). */
export function notesOf(model: Model): string[] {
  const notes = [...model.warnings];
  for (const h of model.hosts.values())
    if (h.warnings.length > 0) notes.push(`${h.name}: ${h.warnings.length} parser warning(s), first: ${h.warnings[0]}`);
  return notes;
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
 * What a flow's answer rests on, beyond its traces: the nodes it involves that were not probed or
 * lack data the engine reads (said whatever the verdict: they qualify it), host entries that are
 * no node, and — when the flow does not fully work — the declared on-path doctor checks on those
 * nodes: the cause is often there (a subnet mismatch, a wrong tunnel route) even where the trace
 * stops short of it, at an unprobed router say. A flow that works gets no check findings: they
 * would answer another question.
 */
export function pathFindings(
  ctx: AnalysisContext,
  reports: readonly FlowReport[],
  endpoints: readonly string[],
): Finding[] {
  const nodes = pathNodes(reports, endpoints);
  const checks = reports.every((r) => r.verdict === 'reachable')
    ? { findings: [], gaps: [] }
    : runChecks(
        ctx,
        NODE_CHECKS.filter((c) => c.onPath),
        { nodes },
      );
  return [...pathCoverage(ctx, nodes, checks.gaps), ...checks.findings];
}

/** The nodes a flow involves: its ends and every node its traces cross. */
export function pathNodes(reports: readonly FlowReport[], endpoints: readonly string[]): Set<string> {
  const nodes = new Set(endpoints);
  for (const r of reports)
    for (const x of r.results)
      for (const t of [x.forward, ...(x.reply !== undefined ? [x.reply] : [])])
        for (const h of t.hops) nodes.add(h.node);
  return nodes;
}

/** What a flow's answer could not see on its nodes, and in the objects, as findings. */
export function pathCoverage(
  ctx: AnalysisContext,
  nodes: ReadonlySet<string>,
  more: readonly DataGap[] = [],
): Finding[] {
  return [
    ...notProbedFindings(ctx.model, nodes),
    ...outsiderFindings(ctx),
    ...dataMissingFindings([...flowObjectGaps(ctx), ...traceGaps(ctx, nodes), ...more]),
  ];
}
