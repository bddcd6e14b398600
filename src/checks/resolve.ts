// From the names on a command line to the things they name in the Model: pods, Services, nodes
// and addresses. A name that names nothing is an InputError (exit 2) with one line saying so.
import type { NodeInfo, PodInfo, ServiceInfo } from '../model/cluster.ts';
import type { ClusterInfo } from '../model/cluster.ts';
import { cidrContains, isIpv4, parseCidr4, parseIpv4 } from '../lib/ipv4.ts';
import { InputError } from '../lib/errors.ts';
import { describeStatus, usable } from '../model/provenance.ts';
import type { ObjectKind } from '../snapshot/types.ts';
import type { AnalysisContext } from './context.ts';
import { hostOwning, podBlocks } from './node/ownership.ts';

export function requireIpv4(what: string, s: string): string {
  if (!isIpv4(s)) throw new InputError(`${what} ${JSON.stringify(s)} is not an IPv4 address`);
  return s;
}

/**
 * Why no host can send from `ip`, by its form alone: "this network" (0.0.0.0/8), loopback,
 * multicast and the reserved class E with the limited broadcast (RFC 1122 3.2.1.3; the kernel's
 * martian checks, ip_route_input_slow). The CLI may call it before any I/O.
 */
export function unusableHostAddress(ip: string): string | undefined {
  const a = parseIpv4(ip);
  if (a === undefined) return 'not an IPv4 address';
  const first = a >>> 24;
  if (first === 0) return 'an address of "this network" (0.0.0.0/8), which no host has';
  if (first === 127) return 'a loopback address, which never leaves a host';
  if (first >= 224 && first < 240) return 'a multicast address, never the source of a connection';
  if (first >= 240) return a === 0xffffffff ? 'the limited broadcast address' : 'a reserved address (240.0.0.0/4)';
  return undefined;
}

/** A LAN host's address: well formed, and not one the cluster itself uses (a pod, a node, a pod or Service network). */
export function requireLanHost(ctx: AnalysisContext, what: string, s: string): string {
  requireIpv4(what, s);
  const bad = unusableHostAddress(s) ?? clusterUse(ctx, s);
  if (bad !== undefined) throw new InputError(`${what} ${s} is ${bad}, not a host on the LAN`);
  return s;
}

function clusterUse(ctx: AnalysisContext, ip: string): string | undefined {
  const a = parseIpv4(ip)!;
  const c = ctx.model.cluster;
  const pod = c.pods.find(
    (p) => !p.hostNetwork && p.ips.includes(ip) && p.phase !== 'Succeeded' && p.phase !== 'Failed',
  );
  if (pod !== undefined) return `the address of pod ${pod.namespace}/${pod.name}`;
  const node = c.nodes.find((n) => [...n.internalIPs, ...n.externalIPs].includes(ip))?.name ?? hostOwning(ctx, a);
  if (node !== undefined) return `an address of node ${node}`;
  const inside = (cidr: string) => {
    const p = parseCidr4(cidr);
    return p !== undefined && cidrContains(p, a);
  };
  const pool = c.ipPools.find((p) => !p.disabled && inside(p.cidr));
  if (pool !== undefined) return `inside the pod network (IPPool ${pool.name} ${pool.cidr})`;
  const block = podBlocks(ctx).find((b) => inside(b.cidr));
  if (block !== undefined) return `inside the pod network (${block.source})`;
  const svc = c.services.find((x) => x.clusterIPs.includes(ip));
  if (svc !== undefined) return `the ClusterIP of Service ${svc.namespace}/${svc.name}`;
  const range = c.serviceCidrs.find((r) => inside(r.cidr));
  if (range !== undefined) return `inside the Service network (${range.what} ${range.cidr})`;
  return undefined;
}

/** Running pods (not host-network) that share an address with another: IP → pods. */
export function podsSharingIp(cluster: ClusterInfo): Map<string, PodInfo[]> {
  const byIp = new Map<string, PodInfo[]>();
  for (const p of cluster.pods) {
    if (p.hostNetwork || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
    for (const ip of new Set(p.ips)) byIp.set(ip, [...(byIp.get(ip) ?? []), p]);
  }
  return new Map([...byIp].filter(([, ps]) => ps.length > 1));
}

/**
 * Runs a lookup by name; when it finds nothing and the kinds it searched were not usable, the
 * error says so — "no pod web-0" is not known when the pods were never collected.
 */
export function lookingUp<T>(ctx: AnalysisContext, kinds: readonly ObjectKind[], lookup: () => T): T {
  try {
    return lookup();
  } catch (e) {
    const missing = kinds
      .map((k) => ({ k, s: ctx.model.objects.get(k) ?? { state: 'absent' as const } }))
      .filter((x) => !usable(x.s));
    if (!(e instanceof InputError) || missing.length === 0) throw e;
    throw new InputError(
      `${e.message}, but ${missing.map((x) => describeStatus(`objects.${x.k}`, x.s)).join('; ')}: collect them to look it up`,
    );
  }
}

function splitRef(ref: string, defaultNs: string): { ns: string; name: string } {
  const parts = ref.split('/');
  if (parts.length === 1) return { ns: defaultNs, name: parts[0]! };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') return { ns: parts[0]!, name: parts[1]! };
  throw new InputError(`${JSON.stringify(ref)} is not [namespace/]name`);
}

function namespaceKnown(cluster: ClusterInfo, ns: string): boolean {
  return cluster.pods.some((p) => p.namespace === ns) || cluster.services.some((s) => s.namespace === ns);
}

/** A pod by [namespace/]name or by one of its IPs. */
export function resolvePod(cluster: ClusterInfo, ref: string, defaultNs: string): PodInfo {
  if (isIpv4(ref)) {
    const byIp = cluster.pods.filter(
      (p) => !p.hostNetwork && p.ips.includes(ref) && p.phase !== 'Succeeded' && p.phase !== 'Failed',
    );
    if (byIp.length === 0) throw new InputError(`no pod has the IP ${ref}`);
    if (byIp.length > 1)
      throw new InputError(
        `the IP ${ref} belongs to ${byIp.length} pods (${byIp.map((p) => `${p.namespace}/${p.name}`).join(', ')}): name the pod`,
      );
    return byIp[0]!;
  }
  if (ref.startsWith('pod/') || ref.startsWith('pods/')) ref = ref.slice(ref.indexOf('/') + 1);
  const { ns, name } = splitRef(ref, defaultNs);
  const pod = cluster.pods.find((p) => p.namespace === ns && p.name === name);
  if (pod !== undefined) return pod;
  if (!namespaceKnown(cluster, ns)) throw new InputError(`no namespace ${ns} (or it has no pods or Services)`);
  throw new InputError(`no pod ${name} in namespace ${ns}`);
}

export function resolveService(cluster: ClusterInfo, ref: string, defaultNs: string): ServiceInfo {
  const { ns, name } = splitRef(ref.replace(/^(?:svc|service|services)\//, ''), defaultNs);
  const svc = cluster.services.find((s) => s.namespace === ns && s.name === name);
  if (svc !== undefined) return svc;
  if (!namespaceKnown(cluster, ns)) throw new InputError(`no namespace ${ns} (or it has no pods or Services)`);
  throw new InputError(`no Service ${name} in namespace ${ns}`);
}

export function resolveNode(
  cluster: ClusterInfo,
  probed: ReadonlySet<string>,
  name: string,
): NodeInfo | { name: string } {
  const node = cluster.nodes.find((n) => n.name === name);
  if (node === undefined && !probed.has(name)) {
    const known = [...new Set([...cluster.nodes.map((n) => n.name), ...probed])].sort();
    throw new InputError(`no node ${name} (nodes: ${known.join(', ') || 'none'})`);
  }
  return node ?? { name };
}

/** A `lan` target: a pod ([ns/]name, pod/x, or its IP), a Service (svc/[ns/]name, or one of its addresses). */
export type LanTarget = { kind: 'pod'; pod: PodInfo } | { kind: 'service'; service: ServiceInfo; ip?: string };

export function resolveLanTarget(cluster: ClusterInfo, ref: string, defaultNs: string): LanTarget {
  if (/^(?:svc|service|services)\//.test(ref))
    return { kind: 'service', service: resolveService(cluster, ref, defaultNs) };
  if (isIpv4(ref)) {
    const svc = cluster.services.find(
      (s) => s.externalIPs.includes(ref) || s.loadBalancerIPs.includes(ref) || s.clusterIPs.includes(ref),
    );
    if (svc !== undefined) return { kind: 'service', service: svc, ip: ref };
  }
  return { kind: 'pod', pod: resolvePod(cluster, ref, defaultNs) };
}
