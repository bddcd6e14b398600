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

export function podIp(p: PodInfo): string {
  const ip = p.ips.find((x) => parseIpv4(x) !== undefined);
  if (ip === undefined) throw new InputError(`pod ${p.namespace}/${p.name} has no IPv4 address (phase ${p.phase ?? 'unknown'})`);
  return ip;
}

/** The engine's endpoint for a pod; host-network pods are their node. */
export function podEndpoint(ctx: AnalysisContext, p: PodInfo): Endpoint {
  const ip = podIp(p);
  if (p.node === undefined) throw new InputError(`pod ${p.namespace}/${p.name} is not scheduled on a node`);
  if (p.hostNetwork) return { kind: 'host', host: p.node, ip: parseIpv4(ip)! };
  const ep = ctx.world.pods.find((x) => x.name === `${p.namespace}/${p.name}` && parseIpv4(ip) === x.ip);
  if (ep === undefined) return { kind: 'pod', pod: { name: `${p.namespace}/${p.name}`, ip: parseIpv4(ip)!, node: p.node } };
  return { kind: 'pod', pod: ep };
}

/** Findings for nodes a question needs that the snapshot could not probe. */
export function unprobedFindings(model: Model, nodes: Iterable<string>): Finding[] {
  const out: Finding[] = [];
  for (const n of new Set(nodes)) {
    const why = model.unprobed.get(n) ?? (model.hosts.has(n) ? undefined : 'the snapshot has no entry for this node');
    if (why === undefined) continue;
    out.push({ id: 'node-not-probed', severity: 'warning', node: n, summary: `${n} was not probed: nothing on it could be checked`, evidence: [why], fix: FINDINGS['node-not-probed'].fix });
  }
  return out;
}

export function notesOf(model: Model): string[] {
  return [...model.warnings];
}

export function traceDocs(reports: readonly FlowReport[]): TraceDoc[] {
  return reports.flatMap((r) => r.results.flatMap((x) => [traceDoc(r.label, x.forward), ...(x.reply !== undefined ? [traceDoc(r.label, x.reply)] : [])]));
}
