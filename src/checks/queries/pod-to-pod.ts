// kubectl netcheck pod-to-pod SRC DST: both directions of one pod-to-pod flow, traced and explained.
import type { AnalysisContext } from '../context.ts';
import { analyzeFlow } from '../flow/analyze.ts';
import { describeFlow, flowPacket } from '../flow/packet-spec.ts';
import type { FlowProtocol } from '../flow/packet-spec.ts';
import { resolvePod } from '../resolve.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { notesOf, pathFindings, podEndpoint, podIp, traceDocs } from './common.ts';

export interface PodToPodQuery {
  source: string;
  destination: string;
  namespace: string;
  protocol: FlowProtocol;
  port?: number;
}

export function podToPod(ctx: AnalysisContext, q: PodToPodQuery): ReportDoc {
  const src = resolvePod(ctx.model.cluster, q.source, q.namespace);
  const dst = resolvePod(ctx.model.cluster, q.destination, q.namespace);
  const srcIp = podIp(src);
  const dstIp = podIp(dst);
  const label = `${src.namespace}/${src.name} (${srcIp}) → ${dst.namespace}/${dst.name} (${dstIp}) ${describeFlow(q.protocol, q.port)}`;
  const flow = analyzeFlow(ctx, {
    label,
    from: podEndpoint(ctx, src),
    packet: flowPacket(srcIp, dstIp, q.protocol, q.port),
  });
  const ends = [src.node, dst.node].filter((n): n is string => n !== undefined);
  return reportDoc({
    query: {
      command: 'pod-to-pod',
      source: `${src.namespace}/${src.name}`,
      destination: `${dst.namespace}/${dst.name}`,
      protocol: q.protocol,
      port: q.port,
    },
    verdict: flow.verdict,
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: traceDocs([flow]),
    findings: [...flow.findings, ...pathFindings(ctx, [flow], ends)],
    notes: notesOf(ctx.model),
  });
}
