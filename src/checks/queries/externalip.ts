// kubectl netcheck externalip [SERVICE] [-A] [--from LAN_IP]: audits Service externalIPs, and with
// --from traces the LAN host to each of them (through which node it enters, and back).
import { parseIpv4 } from '../../lib/ipv4.ts';
import type { ServiceInfo } from '../../model/cluster.ts';
import type { ExternalEndpoint } from '../../engine/world.ts';
import { withExternals } from '../context.ts';
import type { AnalysisContext } from '../context.ts';
import { auditExternalIps, externalIpUses } from '../externalip/audit.ts';
import { analyzeFlow, combineVerdicts } from '../flow/analyze.ts';
import type { FlowReport } from '../flow/analyze.ts';
import { describeFlow, flowPacket } from '../flow/packet-spec.ts';
import { hostOwning } from '../node/ownership.ts';
import { lookingUp, requireLanHost, resolveNode, resolveService } from '../resolve.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { auditVerdict, dataMissingFindings } from '../coverage.ts';
import { externalIpsCheck } from '../node/externalips.ts';
import { runChecks } from '../run-checks.ts';
import { notesOf, pathCoverage, pathNodes, traceDocs } from './common.ts';

export interface ExternalIpQuery {
  service?: string;
  namespace: string;
  allNamespaces: boolean;
  from?: string;
  via?: string;
}

function servicesInScope(ctx: AnalysisContext, q: ExternalIpQuery): ServiceInfo[] {
  if (q.service !== undefined)
    return [lookingUp(ctx, ['services'], () => resolveService(ctx.model.cluster, q.service!, q.namespace))];
  return ctx.model.cluster.services.filter((s) => q.allNamespaces || s.namespace === q.namespace);
}

export function externalIpQuery(ctx0: AnalysisContext, q: ExternalIpQuery): ReportDoc {
  const services = servicesInScope(ctx0, q);
  const uses = externalIpUses(services);
  const findings = auditExternalIps(ctx0, uses);
  const notes = notesOf(ctx0.model);
  if (uses.length === 0)
    notes.push(
      `no Service${q.service !== undefined ? ` ${q.service}` : q.allNamespaces ? '' : ` in namespace ${q.namespace}`} has externalIPs${!q.allNamespaces && q.service === undefined ? ' (-A: every namespace)' : ''}`,
    );
  const reports: FlowReport[] = [];
  let ctx = ctx0;
  if (q.from !== undefined) {
    const lanIp = requireLanHost(ctx0, '--from', q.from);
    if (q.via !== undefined) resolveNode(ctx0.model.cluster, new Set(ctx0.model.hosts.keys()), q.via);
    for (const u of uses) {
      if (parseIpv4(u.ip) === undefined) continue;
      // The LAN delivers an externalIP to the node that owns it on the LAN, else where the LAN
      // router's route points (--via), else to the node on the LAN host's own link.
      const entry = q.via ?? hostOwning(ctx0, parseIpv4(u.ip)!);
      const lan: ExternalEndpoint = {
        name: `LAN host ${lanIp}`,
        ip: parseIpv4(lanIp)!,
        ...(entry !== undefined ? { entry: { host: entry } } : {}),
      };
      ctx = withExternals(ctx0, [lan]);
      const ports = u.service.ports.length > 0 ? u.service.ports : [{ port: 0, protocol: 'ICMP' }];
      for (const p of ports) {
        const proto = p.protocol === 'UDP' ? 'udp' : p.protocol === 'ICMP' ? 'icmp' : 'tcp';
        const port = proto === 'icmp' ? undefined : p.port;
        const r = analyzeFlow(ctx, {
          label: `${lanIp} → ${u.ip} ${describeFlow(proto, port)} (Service ${u.service.namespace}/${u.service.name})`,
          from: { kind: 'external', external: lan },
          packet: flowPacket(lanIp, u.ip, proto, port),
        });
        reports.push(r);
        findings.push(...r.findings);
        const entered = new Set(
          r.results.map((x) => x.forward.hops[0]?.node).filter((n): n is string => n !== undefined),
        );
        notes.push(
          `${r.label}: enters the cluster at ${[...entered].join(', ') || 'no node'}${entry === undefined ? " (the node on the LAN host's link; name the LAN router's target with --via)" : ''}; ${r.verdict}`,
        );
      }
    }
  }
  // What the audit and the traces could not see: the audit's own data needs, and each path's nodes.
  const audit = runChecks(ctx0, [externalIpsCheck]);
  findings.push(
    ...(reports.length > 0
      ? pathCoverage(
          ctx,
          pathNodes(
            reports,
            ctx.model.cluster.nodes.map((n) => n.name),
          ),
          audit.gaps,
        )
      : dataMissingFindings(audit.gaps)),
  );
  return reportDoc({
    query: {
      command: 'externalip',
      service: q.service,
      namespace: q.allNamespaces ? undefined : q.namespace,
      allNamespaces: q.allNamespaces || undefined,
      from: q.from,
      via: q.via,
    },
    verdict: reports.length > 0 ? combineVerdicts(reports.map((r) => r.verdict)) : auditVerdict(findings),
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: traceDocs(reports),
    findings,
    notes,
  });
}
