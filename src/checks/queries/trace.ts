// kubectl netcheck trace SRC DST: any endpoint to any endpoint — a pod, a node (its own network
// namespace: OUTPUT and local routing), a Service (its ClusterIP, then every endpoint branch kube-proxy
// can pick), a NodePort, a host outside the cluster — both directions, the same flow analysis as
// pod-to-pod and lan, and next to the datapath's verdict the verdict of the NetworkPolicy objects.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import { InputError } from '../../lib/errors.ts';
import type { PodInfo, ServiceInfo } from '../../model/cluster.ts';
import type { Endpoint } from '../../engine/walk.ts';
import type { ExternalEndpoint } from '../../engine/world.ts';
import { withExternals } from '../context.ts';
import type { AnalysisContext } from '../context.ts';
import type { EndpointRef } from '../endpoint-ref.ts';
import { describeRef } from '../endpoint-ref.ts';
import { analyzeFlow } from '../flow/analyze.ts';
import { egressSourceFinding } from '../flow/egress-source.ts';
import { explainNodeOutput } from '../flow/node-output.ts';
import { describeFlow, flowPacket } from '../flow/packet-spec.ts';
import type { FlowProtocol } from '../flow/packet-spec.ts';
import { hostOwning } from '../node/ownership.ts';
import { policyFindings, policyTargets } from '../policy/flow-policy.ts';
import type { PolicyTarget } from '../policy/flow-policy.ts';
import { lookingUp, requireLanHost, resolveNode, resolvePod, resolveService } from '../resolve.ts';
import { clusterDoc, reportDoc } from '../report-doc.ts';
import type { ReportDoc } from '../report-doc.ts';
import { notesOf, pathFindings, podEndpoint, podIp } from './common.ts';
import { traceDocs } from './common.ts';

export interface TraceQuery {
  source: EndpointRef;
  destination: EndpointRef;
  namespace: string;
  /** --port; a port in DST (svc/x:80, nodeport/n:30080) is in `destination`. */
  port?: number;
  /** --protocol; undefined: tcp with a port (udp for a UDP Service port), else icmp echo. */
  protocol?: FlowProtocol;
}

/** The sending end, resolved. */
export type Source =
  | { kind: 'pod'; pod: PodInfo; ip: string }
  | { kind: 'node'; node: string }
  | { kind: 'lan'; ip: string };

/** The receiving end, resolved: where packets are sent, and what should receive them. */
export interface Target {
  ip: string;
  port?: number;
  /** A Service port's protocol, when the destination is one. */
  protocol?: FlowProtocol;
  describe: string;
  kind: 'pod' | 'node' | 'service' | 'lan';
  pod?: PodInfo;
  service?: ServiceInfo;
  /** The node whose address it is (node, NodePort). */
  node?: string;
}

function nodeAddress(ctx: AnalysisContext, name: string): string {
  const n = ctx.model.cluster.nodes.find((x) => x.name === name);
  const h = ctx.world.hosts.get(name);
  const ip =
    n?.internalIPs.find((a) => parseIpv4(a) !== undefined) ??
    (h === undefined
      ? undefined
      : [...h.addresses.entries()]
          .filter(([dev]) => dev !== 'lo' && dev !== 'kube-ipvs0')
          .flatMap(([, a]) => a)
          .map((a) => formatIpv4(a.local))[0]);
  if (ip === undefined) throw new InputError(`node ${name} has no known IPv4 address (no InternalIP, not probed)`);
  return ip;
}

function knownNode(ctx: AnalysisContext, name: string): string {
  lookingUp(ctx, ['nodes'], () => resolveNode(ctx.model.cluster, new Set(ctx.model.hosts.keys()), name));
  return name;
}

/** The node an address belongs to: a node object's address or one on a probed host's device. */
function nodeByAddress(ctx: AnalysisContext, ip: string): string | undefined {
  return (
    ctx.model.cluster.nodes.find((n) => [...n.internalIPs, ...n.externalIPs].includes(ip))?.name ??
    hostOwning(ctx, parseIpv4(ip)!)
  );
}

function podByIp(ctx: AnalysisContext, ip: string): PodInfo | undefined {
  const hit = ctx.model.cluster.pods.filter(
    (p) => !p.hostNetwork && p.ips.includes(ip) && p.phase !== 'Succeeded' && p.phase !== 'Failed',
  );
  return hit.length === 0 ? undefined : resolvePod(ctx.model.cluster, ip, 'default');
}

function serviceByIp(ctx: AnalysisContext, ip: string): ServiceInfo | undefined {
  return ctx.model.cluster.services.find(
    (s) => s.clusterIPs.includes(ip) || s.externalIPs.includes(ip) || s.loadBalancerIPs.includes(ip),
  );
}

export function resolveSource(ctx: AnalysisContext, r: EndpointRef, ns: string): Source {
  switch (r.kind) {
    case 'pod': {
      const pod = lookingUp(ctx, ['pods'], () => resolvePod(ctx.model.cluster, r.ref, ns));
      return { kind: 'pod', pod, ip: podIp(pod) };
    }
    case 'node':
      return { kind: 'node', node: knownNode(ctx, r.name) };
    case 'service':
    case 'nodeport':
      throw new InputError(`SRC ${describeRef(r)}: a Service sends nothing; trace from a pod, node or LAN host`);
    case 'ip': {
      const pod = podByIp(ctx, r.ip);
      if (pod !== undefined) return { kind: 'pod', pod, ip: r.ip };
      const node = nodeByAddress(ctx, r.ip);
      if (node !== undefined) return { kind: 'node', node };
      const svc = serviceByIp(ctx, r.ip);
      if (svc !== undefined)
        throw new InputError(`SRC ${r.ip} is an address of Service ${svc.namespace}/${svc.name}, which sends nothing`);
      return { kind: 'lan', ip: requireLanHost(ctx, 'SRC', r.ip) };
    }
  }
}

function servicePortOf(svc: ServiceInfo, want: number | string | undefined, flag: number | undefined) {
  const name = `Service ${svc.namespace}/${svc.name}`;
  if (want !== undefined && flag !== undefined && want !== flag)
    throw new InputError(`DST names port ${want} and --port says ${flag}: give one`);
  const w = want ?? flag;
  const sp = w === undefined ? svc.ports[0] : svc.ports.find((p) => p.port === w || p.name === w);
  const list = svc.ports.map((p) => `${p.port}${p.name !== undefined ? ` (${p.name})` : ''}`).join(', ');
  if (sp === undefined)
    throw new InputError(
      w === undefined ? `${name} has no ports` : `${name} has no port ${w} (its ports: ${list || 'none'})`,
    );
  return sp;
}

function protocolOf(p: string): FlowProtocol | undefined {
  const x = p.toLowerCase();
  return x === 'tcp' || x === 'udp' ? x : undefined;
}

function serviceTarget(svc: ServiceInfo, r: { port?: number | string }, flag: number | undefined): Target {
  const clusterIp = svc.clusterIPs.find((c) => parseIpv4(c) !== undefined);
  if (clusterIp === undefined)
    throw new InputError(
      `Service ${svc.namespace}/${svc.name} has no IPv4 ClusterIP (headless?): trace to one of its pods`,
    );
  const sp = servicePortOf(svc, r.port, flag);
  const proto = protocolOf(sp.protocol);
  return {
    ip: clusterIp,
    port: sp.port,
    ...(proto !== undefined ? { protocol: proto } : {}),
    describe: `Service ${svc.namespace}/${svc.name} (${clusterIp}:${sp.port})`,
    kind: 'service',
    service: svc,
  };
}

export function resolveTarget(ctx: AnalysisContext, r: EndpointRef, ns: string, flag: number | undefined): Target {
  const port = flag !== undefined ? { port: flag } : {};
  switch (r.kind) {
    case 'pod': {
      const pod = lookingUp(ctx, ['pods'], () => resolvePod(ctx.model.cluster, r.ref, ns));
      const ip = podIp(pod);
      return { ip, ...port, describe: `${pod.namespace}/${pod.name} (${ip})`, kind: 'pod', pod };
    }
    case 'node': {
      const ip = nodeAddress(ctx, knownNode(ctx, r.name));
      return { ip, ...port, describe: `node ${r.name} (${ip})`, kind: 'node', node: r.name };
    }
    case 'service': {
      const svc = lookingUp(ctx, ['services'], () => resolveService(ctx.model.cluster, r.ref, ns));
      return serviceTarget(svc, r, flag);
    }
    case 'nodeport': {
      if (flag !== undefined && flag !== r.port)
        throw new InputError(`DST names NodePort ${r.port} and --port says ${flag}: give one`);
      const ip = nodeAddress(ctx, knownNode(ctx, r.node));
      const svc = ctx.model.cluster.services.find((s) => s.ports.some((p) => p.nodePort === r.port));
      const sp = svc?.ports.find((p) => p.nodePort === r.port);
      const proto = sp !== undefined ? protocolOf(sp.protocol) : undefined;
      return {
        ip,
        port: r.port,
        ...(proto !== undefined ? { protocol: proto } : {}),
        describe: `NodePort ${r.port} on ${r.node} (${ip})${svc !== undefined ? ` of Service ${svc.namespace}/${svc.name}` : ''}`,
        kind: svc !== undefined ? 'service' : 'node',
        ...(svc !== undefined ? { service: svc } : {}),
        node: r.node,
      };
    }
    case 'ip': {
      const pod = podByIp(ctx, r.ip);
      if (pod !== undefined)
        return { ip: r.ip, ...port, describe: `${pod.namespace}/${pod.name} (${r.ip})`, kind: 'pod', pod };
      // An address that is a Service's and a node's too (an externalIP equal to a node address):
      // a port the Service does not have is the node's.
      const svc = serviceByIp(ctx, r.ip);
      if (svc !== undefined && (flag === undefined || svc.ports.some((p) => p.port === flag))) {
        const t = serviceTarget(svc, {}, flag);
        return { ...t, ip: r.ip, describe: `Service ${svc.namespace}/${svc.name} (${r.ip}:${t.port})` };
      }
      const node = nodeByAddress(ctx, r.ip);
      if (node !== undefined) return { ip: r.ip, ...port, describe: `node ${node} (${r.ip})`, kind: 'node', node };
      return { ip: requireLanHost(ctx, 'DST', r.ip), ...port, describe: `LAN host ${r.ip}`, kind: 'lan' };
    }
  }
}

function sourceEndpoint(ctx: AnalysisContext, s: Source, lan: ExternalEndpoint | undefined): Endpoint {
  if (s.kind === 'pod') return podEndpoint(ctx, s.pod);
  if (s.kind === 'node') return { kind: 'host', host: s.node, ip: 0 };
  return { kind: 'external', external: lan! };
}

function describeSource(s: Source): string {
  return s.kind === 'pod'
    ? `${s.pod.namespace}/${s.pod.name} (${s.ip})`
    : s.kind === 'node'
      ? `node ${s.node}`
      : `LAN host ${s.ip}`;
}

/**
 * Where a LAN host's packets enter the cluster: the node owning the destination address, else the
 * pod's own node (a route straight to it), as `lan` assumes without --via (said in a note).
 */
function lanEntry(t: Target): string | undefined {
  return t.node ?? t.pod?.node;
}

/** A trace's ends and packet, resolved: what `trace` walks and `--active` sends. */
export function traceFlow(
  ctx: AnalysisContext,
  q: TraceQuery,
): { src: Source; dst: Target; protocol: FlowProtocol; port: number | undefined } {
  const src = resolveSource(ctx, q.source, q.namespace);
  const dst = resolveTarget(ctx, q.destination, q.namespace, q.port);
  const protocol: FlowProtocol = q.protocol ?? (dst.port !== undefined ? (dst.protocol ?? 'tcp') : 'icmp');
  if (protocol === 'icmp' && q.port !== undefined) throw new InputError('--port does not apply to --protocol icmp');
  if (protocol !== 'icmp' && dst.port === undefined)
    throw new InputError(`--protocol ${protocol} needs --port (or a port in DST)`);
  return { src, dst, protocol, port: protocol === 'icmp' ? undefined : dst.port };
}

export function traceQuery(ctx0: AnalysisContext, q: TraceQuery): ReportDoc {
  const { src, dst, protocol, port } = traceFlow(ctx0, q);
  if (src.kind === 'lan' && dst.kind === 'lan')
    throw new InputError('SRC and DST are both outside the cluster: nothing of the cluster is on that path');
  const notes = notesOf(ctx0.model);
  if (q.destination.kind === 'nodeport' && dst.service === undefined)
    notes.push(
      `no Service has NodePort ${q.destination.port}: the trace ends at ${q.destination.node} itself; whether a process listens there is not in the snapshot`,
    );

  const externals: ExternalEndpoint[] = [];
  let lanSrc: ExternalEndpoint | undefined;
  if (src.kind === 'lan') {
    const entry = lanEntry(dst);
    lanSrc = {
      name: `LAN host ${src.ip}`,
      ip: parseIpv4(src.ip)!,
      ...(entry !== undefined ? { entry: { host: entry } } : {}),
    };
    externals.push(lanSrc);
    if (entry !== undefined && dst.node === undefined)
      notes.push(
        `assumed the LAN sends ${dst.ip} to ${entry}; \`kubectl netcheck lan --via NODE\` names the node its router points at`,
      );
  }
  if (dst.kind === 'lan') externals.push({ name: `LAN host ${dst.ip}`, ip: parseIpv4(dst.ip)! });
  const ctx = withExternals(ctx0, externals);

  const srcIp = src.kind === 'node' ? '0.0.0.0' : src.ip;
  const label = `${describeSource(src)} → ${dst.describe} ${describeFlow(protocol, port)}`;
  const flow = analyzeFlow(ctx, {
    label,
    from: sourceEndpoint(ctx, src, lanSrc),
    packet: flowPacket(srcIp, dst.ip, protocol, port),
  });
  const findings = flow.findings.map((f) => (src.kind === 'node' ? explainNodeOutput(ctx, f, src.node, dst) : f));
  if (src.kind === 'pod' && dst.kind === 'lan' && src.pod.node !== undefined)
    for (const r of flow.results) {
      const f = egressSourceFinding(
        ctx,
        r.forward,
        { name: `${src.pod.namespace}/${src.pod.name}`, ip: src.ip, node: src.pod.node },
        label,
      );
      if (f !== undefined) findings.push(f);
    }

  const targets: PolicyTarget[] = policyTargets(ctx, src, dst, protocol, port);
  const policy = policyFindings(ctx, label, targets, flow);
  const ends = [
    src.kind === 'pod' ? src.pod.node : src.kind === 'node' ? src.node : undefined,
    dst.node,
    dst.pod?.node,
  ].filter((n): n is string => n !== undefined);
  return reportDoc({
    query: {
      command: 'trace',
      source: describeRef(q.source),
      destination: describeRef(q.destination),
      protocol,
      port,
    },
    verdict: flow.verdict,
    cluster: clusterDoc(ctx.flavour, ctx.model),
    traces: traceDocs([flow]),
    ...(policy.docs.length > 0 ? { policy: policy.docs } : {}),
    findings: [...findings, ...policy.findings, ...pathFindings(ctx, [flow], ends)],
    notes: [...notes, ...policy.notes],
  });
}
