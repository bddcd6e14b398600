// From the names on a command line to the things they name in the Model: pods, Services, nodes
// and addresses. A name that names nothing is an InputError (exit 2) with one line saying so.
import type { NodeInfo, PodInfo, ServiceInfo } from '../model/cluster.ts';
import type { ClusterInfo } from '../model/cluster.ts';
import { isIpv4 } from '../lib/ipv4.ts';
import { InputError } from '../lib/errors.ts';

export function requireIpv4(what: string, s: string): string {
  if (!isIpv4(s)) throw new InputError(`${what} ${JSON.stringify(s)} is not an IPv4 address`);
  return s;
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
