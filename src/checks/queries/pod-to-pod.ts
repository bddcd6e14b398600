// kubectl netcheck pod-to-pod SRC DST: both directions of one pod-to-pod flow, traced and explained.
import type { AnalysisContext } from '../context.ts';
import { analyzeFlow } from '../flow/analyze.ts';
import { describeFlow, flowPacket, shapeOf } from '../flow/packet-spec.ts';
import type { FlowProtocol } from '../flow/packet-spec.ts';
import { duplicateIpFinding } from '../node/pod-ips.ts';
import { lookingUp, podsSharingIp, resolvePod } from '../resolve.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { notesOf, pathFindings, podEndpoint, podIp, traceDocs } from './common.ts';

export interface PodToPodQuery {
  source: string;
  destination: string;
  namespace: string;
  protocol: FlowProtocol;
  port?: number;
  /** --size, --no-df */
  size?: number;
  df?: boolean;
}

export function podToPod(ctx: AnalysisContext, q: PodToPodQuery): ReportDoc {
  const src = lookingUp(ctx, ['pods'], () => resolvePod(ctx.model.cluster, q.source, q.namespace));
  const dst = lookingUp(ctx, ['pods'], () => resolvePod(ctx.model.cluster, q.destination, q.namespace));
  const srcIp = podIp(src);
  const dstIp = podIp(dst);
  const label = `${src.namespace}/${src.name} (${srcIp}) → ${dst.namespace}/${dst.name} (${dstIp}) ${describeFlow(q.protocol, q.port)}`;
  const flow = analyzeFlow(ctx, {
    label,
    from: podEndpoint(ctx, src),
    packet: flowPacket(srcIp, dstIp, q.protocol, q.port, shapeOf(q)),
  });
  const ends = [src.node, dst.node].filter((n): n is string => n !== undefined);
  // Another running pod with the destination's address: the trace may end in either.
  const twins = podsSharingIp(ctx.model.cluster).get(dstIp);
  const wrongPod =
    twins !== undefined &&
    flow.results.some(
      (r) => r.forward.verdict === 'delivered' && r.forward.deliveredTo !== `${dst.namespace}/${dst.name}`,
    );
  return reportDoc({
    query: {
      command: 'pod-to-pod',
      source: `${src.namespace}/${src.name}`,
      destination: `${dst.namespace}/${dst.name}`,
      protocol: q.protocol,
      port: q.port,
    },
    verdict: twins !== undefined && (wrongPod || flow.verdict === 'reachable') ? 'unknown' : flow.verdict,
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: traceDocs([flow]),
    findings: [
      ...(twins !== undefined ? [duplicateIpFinding(dstIp, twins)] : []),
      ...flow.findings,
      ...pathFindings(ctx, [flow], ends),
    ],
    notes: notesOf(ctx.model),
  });
}
