// kubectl netcheck lan LAN_IP TARGET [--via NODE]: a host outside the cluster and a pod or Service,
// both ways. LAN → target enters where the LAN router's static route sends it (--via), crosses
// every rp_filter on the way and must find its way back; target → LAN shows the source address
// the LAN host will see, and which rule and configuration key decide it.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import { InputError } from '../../lib/errors.ts';
import type { PodInfo, ServiceInfo } from '../../model/cluster.ts';
import type { ExternalEndpoint } from '../../engine/world.ts';
import { withExternals } from '../context.ts';
import type { AnalysisContext } from '../context.ts';
import { analyzeFlow, combineVerdicts } from '../flow/analyze.ts';
import type { FlowReport } from '../flow/analyze.ts';
import { egressReturnFinding } from '../flow/egress-return.ts';
import { egressSourceFinding } from '../flow/egress-source.ts';
import { describeFlow, flowPacket, shapeOf } from '../flow/packet-spec.ts';
import type { FlowProtocol } from '../flow/packet-spec.ts';
import { hostOwning } from '../node/ownership.ts';
import { lookingUp, requireLanHost, resolveLanTarget, resolveNode } from '../resolve.ts';
import type { LanTarget } from '../resolve.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { notesOf, pathFindings, podEndpoint, podIp, traceDocs } from './common.ts';

export interface LanQuery {
  lanHost: string;
  target: string;
  namespace: string;
  via?: string;
  port?: number;
  protocol: FlowProtocol;
  /** --size, --no-df */
  size?: number;
  df?: boolean;
}

/** Where the LAN host's packets for the target go, and which port they carry. */
interface Destination {
  ip: string;
  port?: number;
  describe: string;
  /** The node that owns the destination address, if one does. */
  owner?: string;
}

function serviceDestination(
  ctx: AnalysisContext,
  svc: ServiceInfo,
  ip: string | undefined,
  port: number | undefined,
  via: string | undefined,
): Destination {
  const name = `Service ${svc.namespace}/${svc.name}`;
  const sp = port !== undefined ? svc.ports.find((p) => p.port === port || p.nodePort === port) : svc.ports[0];
  const chosen = ip ?? svc.externalIPs[0] ?? svc.loadBalancerIPs[0];
  if (chosen !== undefined)
    return {
      ip: chosen,
      ...((port ?? sp?.port) !== undefined ? { port: port ?? sp!.port } : {}),
      describe: `${name} at ${chosen}`,
      ...ownerOf(ctx, chosen),
    };
  if (sp?.nodePort !== undefined && via !== undefined) {
    const host = ctx.world.hosts.get(via);
    const node = ctx.model.cluster.nodes.find((n) => n.name === via);
    const nodeIp =
      node?.internalIPs[0] ??
      (host !== undefined
        ? [...host.addresses.values()]
            .flat()
            .map((a) => formatIpv4(a.local))
            .find((a) => !a.startsWith('127.'))
        : undefined);
    if (nodeIp !== undefined)
      return { ip: nodeIp, port: sp.nodePort, describe: `${name} NodePort ${sp.nodePort} on ${via}`, owner: via };
  }
  throw new InputError(
    `${name} has no externalIP or load-balancer address a LAN host could use${sp?.nodePort !== undefined ? ' (it has a NodePort: name the node with --via)' : ''}`,
  );
}

function ownerOf(ctx: AnalysisContext, ip: string): { owner?: string } {
  const o = hostOwning(ctx, parseIpv4(ip)!);
  return o === undefined ? {} : { owner: o };
}

/** A ready backend pod of the Service that runs on a probed node (for the target → LAN direction). */
function backendPod(ctx: AnalysisContext, svc: ServiceInfo): PodInfo | undefined {
  const slices = ctx.model.cluster.endpointSlices.filter(
    (s) => s.namespace === svc.namespace && s.service === svc.name,
  );
  const names = slices.flatMap((s) => s.endpoints.filter((e) => e.ready && e.pod !== undefined).map((e) => e.pod!));
  const pods = ctx.model.cluster.pods.filter((p) => p.namespace === svc.namespace && names.includes(p.name));
  return pods.find((p) => p.node !== undefined && ctx.model.hosts.has(p.node)) ?? pods[0];
}

export function lanQuery(ctx0: AnalysisContext, q: LanQuery): ReportDoc {
  const lanIp = requireLanHost(ctx0, 'LAN host', q.lanHost);
  const target: LanTarget = lookingUp(ctx0, ['pods', 'services'], () =>
    resolveLanTarget(ctx0.model.cluster, q.target, q.namespace),
  );
  if (q.via !== undefined) resolveNode(ctx0.model.cluster, new Set(ctx0.model.hosts.keys()), q.via);
  const notes = notesOf(ctx0.model);

  const dest: Destination =
    target.kind === 'pod'
      ? {
          ip: podIp(target.pod),
          ...(q.port !== undefined ? { port: q.port } : {}),
          describe: `${target.pod.namespace}/${target.pod.name} (${podIp(target.pod)})`,
        }
      : serviceDestination(ctx0, target.service, target.ip, q.port, q.via);
  const protocol: FlowProtocol =
    q.protocol === 'icmp' && dest.port !== undefined && q.port === undefined ? 'tcp' : q.protocol;

  // Where the LAN's packets enter the cluster: --via (the LAN router's static route), else the
  // node owning the address, else the pod's own node (a route straight to it), else the node on the LAN host's link.
  const entryNode = q.via ?? dest.owner ?? (target.kind === 'pod' ? target.pod.node : undefined);
  if (q.via === undefined && entryNode !== undefined && dest.owner === undefined) {
    notes.push(
      `assumed the LAN sends ${dest.ip} to ${entryNode}; name the node its router's static route points at with --via`,
    );
  }
  const lan: ExternalEndpoint = {
    name: `LAN host ${lanIp}`,
    ip: parseIpv4(lanIp)!,
    ...(entryNode !== undefined ? { entry: { host: entryNode } } : {}),
  };
  const ctx = withExternals(ctx0, [lan]);

  const reports: FlowReport[] = [];
  const inbound = analyzeFlow(ctx, {
    label: `${lanIp} → ${dest.describe} ${describeFlow(protocol, dest.port)}`,
    from: { kind: 'external', external: lan },
    packet: flowPacket(lanIp, dest.ip, protocol, dest.port, shapeOf(q)),
  });
  reports.push(inbound);

  const findings = [...inbound.findings];
  const pod = target.kind === 'pod' ? target.pod : backendPod(ctx, target.service);
  const nodes = [entryNode, pod?.node].filter((n): n is string => n !== undefined);
  if (pod !== undefined && pod.node !== undefined && !pod.hostNetwork) {
    const ip = podIp(pod);
    // Pod-initiated traffic to the LAN host: the address it will see. A connection needs a port
    // on the LAN side; echo is what any host answers.
    const outProto: FlowProtocol = q.protocol === 'udp' ? 'udp' : q.port !== undefined ? 'tcp' : 'icmp';
    const label = `${pod.namespace}/${pod.name} (${ip}) → ${lanIp} ${describeFlow(outProto, q.port)}`;
    const outbound = analyzeFlow(ctx, {
      label,
      from: podEndpoint(ctx, pod),
      packet: flowPacket(ip, lanIp, outProto, q.port, shapeOf(q)),
    });
    reports.push(outbound);
    findings.push(...outbound.findings);
    for (const r of outbound.results) {
      if (r.forward.verdict === 'delivered' && r.forward.seenAs !== undefined)
        notes.push(
          `${lanIp} sees ${pod.namespace}/${pod.name} as ${r.forward.seenAs.src}${r.forward.seenAs.src === ip ? ' (its own pod IP: no source NAT on the way)' : ''}`,
        );
      const f = egressSourceFinding(
        ctx,
        r.forward,
        { name: `${pod.namespace}/${pod.name}`, ip, node: pod.node },
        label,
      );
      if (f !== undefined) findings.push(f);
      // Without --via the LAN's route back to the pod network is an assumption: said, and the
      // flow is not called reachable on it.
      const back =
        q.via === undefined
          ? egressReturnFinding(ctx, r.forward, {
              pod: { name: `${pod.namespace}/${pod.name}`, ip, node: pod.node },
              lanIp,
              assumedEntry: entryNode ?? pod.node,
              label,
            })
          : undefined;
      if (back !== undefined) {
        findings.push(back);
        if (outbound.verdict === 'reachable') outbound.verdict = 'unknown';
      }
    }
  }
  return reportDoc({
    query: {
      command: 'lan',
      lanHost: lanIp,
      target:
        target.kind === 'pod'
          ? `${target.pod.namespace}/${target.pod.name}`
          : `svc/${target.service.namespace}/${target.service.name}`,
      via: q.via,
      port: q.port,
      protocol,
    },
    verdict: combineVerdicts(reports.map((r) => r.verdict)),
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: traceDocs(reports),
    findings: [...findings, ...pathFindings(ctx, reports, nodes)],
    notes,
  });
}
