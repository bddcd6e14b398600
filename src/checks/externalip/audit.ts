// The Service externalIP audit (docs/incidents.md #4). kube-proxy in IPVS mode binds every externalIP
// on kube-ipvs0 of every node (pkg/proxy/ipvs/proxier.go syncService → netlinkHandle.EnsureAddressBind),
// so every node takes that address as its own — fatal when it is a node's or the API server's.
// In iptables mode only the Service's ip:port pairs are DNATed (KUBE-SERVICES "external IP" rules).
import { renderAddress } from '../../model/render/iproute2.ts';
import { cidrContains, formatIpv4, inCidr, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { ServiceInfo } from '../../model/cluster.ts';
import { statusOf, usable } from '../../model/provenance.ts';
import type { AnalysisContext } from '../context.ts';
import { FINDINGS } from '../catalog.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

export interface ExternalIpUse {
  service: ServiceInfo;
  ip: string;
}

export function externalIpUses(services: readonly ServiceInfo[]): ExternalIpUse[] {
  return services.flatMap((service) => service.externalIPs.map((ip) => ({ service, ip })));
}

function svcName(s: ServiceInfo): string {
  return `${s.namespace}/${s.name}`;
}

function svcEvidence(u: ExternalIpUse): string {
  return `Service ${svcName(u.service)}: spec.externalIPs: ${JSON.stringify(u.service.externalIPs)}; ports ${u.service.ports.map((p) => `${p.port}/${p.protocol}`).join(', ') || 'none'}`;
}

/** Nodes that hold `ip` on a device other than kube-ipvs0, with the address line. */
function ownersOf(ctx: AnalysisContext, ip: string): { node: string; line: string }[] {
  const out: { node: string; line: string }[] = [];
  for (const h of ctx.model.hosts.values()) {
    for (const a of h.addresses)
      if (a.family === 'inet' && a.local === ip && a.dev !== 'kube-ipvs0')
        out.push({ node: h.name, line: `${h.name}: ${renderAddress(a)} dev ${a.dev}` });
  }
  for (const n of ctx.model.cluster.nodes) {
    if ([...n.internalIPs, ...n.externalIPs].includes(ip) && !out.some((o) => o.node === n.name))
      out.push({ node: n.name, line: `Node ${n.name}: status.addresses has ${ip}` });
  }
  return out;
}

/** Nodes that carry `ip` on kube-ipvs0 (kube-proxy IPVS bound it there). */
function ipvsCarriers(ctx: AnalysisContext, ip: string): { node: string; line: string }[] {
  const out: { node: string; line: string }[] = [];
  for (const h of ctx.model.hosts.values()) {
    for (const a of h.addresses)
      if (a.dev === 'kube-ipvs0' && a.local === ip)
        out.push({ node: h.name, line: `${h.name}: ${renderAddress(a)} dev ${a.dev}` });
  }
  return out;
}

/** The API server's endpoints (default/kubernetes) and etcd members' addresses. */
function controlPlaneAddresses(ctx: AnalysisContext): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of ctx.model.cluster.endpointSlices) {
    if (s.namespace === 'default' && s.service === 'kubernetes')
      for (const e of s.endpoints)
        for (const a of e.addresses) out.set(a, `EndpointSlice default/${s.name}: API server endpoint ${a}`);
  }
  for (const p of ctx.model.cluster.pods) {
    if (p.namespace === 'kube-system' && (p.name.startsWith('etcd-') || p.name.startsWith('kube-apiserver-'))) {
      for (const ip of p.ips)
        if (!out.has(ip))
          out.set(ip, `Pod kube-system/${p.name} (${p.name.startsWith('etcd-') ? 'etcd' : 'API server'}) at ${ip}`);
    }
  }
  return out;
}

/** Pod and Service networks: IPPools, node podCIDRs, ClusterIPs, the API server's --service-cluster-ip-range. */
function clusterNetworks(ctx: AnalysisContext): { cidr: string; what: string }[] {
  const out: { cidr: string; what: string }[] = [];
  for (const p of ctx.model.cluster.ipPools) out.push({ cidr: p.cidr, what: `IPPool ${p.name}` });
  for (const n of ctx.model.cluster.nodes)
    for (const c of n.podCIDRs) out.push({ cidr: c, what: `Node ${n.name} spec.podCIDR` });
  for (const s of ctx.model.cluster.services)
    for (const c of s.clusterIPs) out.push({ cidr: `${c}/32`, what: `ClusterIP of Service ${svcName(s)}` });
  for (const r of ctx.model.cluster.serviceCidrs) out.push(r);
  return out.filter((x) => parseCidr4(x.cidr) !== undefined);
}

/** A node whose connected network holds the address (it can answer ARP for it, or route it). */
function connectedNode(ctx: AnalysisContext, ip: string): string | undefined {
  const a = parseIpv4(ip)!;
  for (const h of ctx.world.hosts.values()) {
    for (const [dev, addrs] of h.addresses) {
      if (dev === 'kube-ipvs0' || dev === 'lo') continue;
      if (addrs.some((x) => x.len < 32 && cidrContains({ net: x.net, len: x.len }, a)))
        return `${h.name} (${dev} ${addrs
          .filter((x) => x.len < 32)
          .map((x) => `${formatIpv4(x.net)}/${x.len}`)
          .join(', ')})`;
    }
  }
  return undefined;
}

/** Whether every node's addresses are known: only then can an address be owned by no node. */
function everyNodeAddressed(ctx: AnalysisContext): boolean {
  const hosts = [...ctx.model.hosts.values()];
  return (
    ctx.model.unprobed.size === 0 &&
    ctx.model.cluster.nodes.every((n) => ctx.model.hosts.has(n.name)) &&
    hosts.every((h) => usable(statusOf(h.provenance, 'ip-addr')))
  );
}

export function auditExternalIps(ctx: AnalysisContext, uses: readonly ExternalIpUse[]): Finding[] {
  const findings: Finding[] = [];
  const ipvs = ctx.flavour.proxy.value === 'ipvs';
  const proxyLine = `kube-proxy mode: ${ctx.flavour.proxy.value}${ctx.flavour.proxy.because.length > 0 ? ` (${ctx.flavour.proxy.because.join('; ')})` : ''}`;
  const control = controlPlaneAddresses(ctx);
  const networks = clusterNetworks(ctx);
  for (const u of uses) {
    if (parseIpv4(u.ip) === undefined) continue;
    const carriers = ipvsCarriers(ctx, u.ip);
    const carried =
      carriers.length > 0
        ? [
            `nodes carrying ${u.ip} on kube-ipvs0: ${carriers.map((c) => c.node).join(', ')}`,
            ...carriers.map((c) => c.line),
          ]
        : [];
    const owners = ownersOf(ctx, u.ip);
    const cp = control.get(u.ip);
    if (cp !== undefined) {
      findings.push(
        finding('externalip-control-plane', {
          ...(owners[0] !== undefined ? { node: owners[0].node } : {}),
          summary: `externalIP ${u.ip} of Service ${svcName(u.service)} is a control-plane address (${cp.replace(/^.*: /, '')})${ipvs ? ': every node binds it on kube-ipvs0, so API server / etcd traffic to it stays on each node' : ''}`,
          evidence: [svcEvidence(u), cp, proxyLine, ...carried],
          fix: `kubectl -n ${u.service.namespace} patch svc ${u.service.name} --type=json -p '[{"op":"remove","path":"/spec/externalIPs"}]' — ${FINDINGS['externalip-control-plane'].fix}`,
        }),
      );
    }
    if (owners.length > 0) {
      findings.push(
        finding('externalip-node-address', {
          severity: ipvs ? 'critical' : 'warning',
          node: owners[0]!.node,
          summary: ipvs
            ? `externalIP ${u.ip} of Service ${svcName(u.service)} is the address of node ${owners.map((o) => o.node).join(', ')}: under IPVS every node binds it on kube-ipvs0 and treats it as local, so traffic to that node (kubelet, SSH, the API server on it) never leaves the sender${carriers.length > 0 ? ` — already bound on ${carriers.map((c) => c.node).join(', ')}` : ''}`
            : `externalIP ${u.ip} of Service ${svcName(u.service)} is the address of node ${owners.map((o) => o.node).join(', ')}: kube-proxy (iptables) captures its ports ${u.service.ports.map((p) => p.port).join(', ')} on that address on every node`,
          evidence: [svcEvidence(u), ...owners.map((o) => o.line), proxyLine, ...carried],
          fix: `kubectl -n ${u.service.namespace} patch svc ${u.service.name} --type=json -p '[{"op":"remove","path":"/spec/externalIPs"}]'; ${ipvs ? `then remove the address from kube-ipvs0 on the nodes that carry it (ip addr del ${u.ip}/32 dev kube-ipvs0) if kube-proxy does not; ` : ''}use a free LAN address routed to the nodes, or a LoadBalancer.`,
        }),
      );
    }
    const inside = networks.filter((n) => inCidr(u.ip, n.cidr));
    if (inside.length > 0) {
      findings.push(
        finding('externalip-in-cluster-network', {
          summary: `externalIP ${u.ip} of Service ${svcName(u.service)} lies inside ${inside.map((n) => `${n.what} (${n.cidr})`).join(', ')}`,
          evidence: [svcEvidence(u), ...inside.map((n) => `${n.what}: ${n.cidr}`)],
        }),
      );
    }
    if (owners.length === 0 && inside.length === 0 && cp === undefined && everyNodeAddressed(ctx)) {
      const near = connectedNode(ctx, u.ip);
      if (near === undefined) {
        findings.push(
          finding('externalip-unrouted', {
            summary: `externalIP ${u.ip} of Service ${svcName(u.service)} is owned by no node and inside no node's network: only a route on the LAN router (${u.ip}/32 via a node) makes it reachable`,
            evidence: [svcEvidence(u), ...carried],
          }),
        );
      }
    }
  }
  return findings;
}
