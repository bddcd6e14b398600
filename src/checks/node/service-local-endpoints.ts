// Services whose traffic policy is Local, and the nodes that receive their traffic without an
// endpoint of their own: kube-proxy drops it there (pkg/proxy/iptables/proxier.go: with
// externalTrafficPolicy Local and no local endpoints, externalTrafficFilterTarget DROP with the
// comment "has no local endpoints" for NodePorts, externalIPs and load-balancer IPs; with
// internalTrafficPolicy Local, internalTrafficFilterTarget DROP for the ClusterIP; before v1.22
// the KUBE-XLB-* chain's "has no local endpoints" jump to KUBE-MARK-DROP). Decided from the
// objects; the node's own rule is quoted when it was collected.
import type { ClusterInfo, EndpointSliceInfo, ServiceInfo } from '../../model/cluster.ts';
import type { HostState } from '../../model/types.ts';
import type { WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { ruleSaid } from '../../model/rule-said.ts';

const LOCAL = 'Local';

/** The traffic a node receives for `s` that only local endpoints may take, if any. */
function externalEntries(s: ServiceInfo): string[] {
  if (s.externalTrafficPolicy !== LOCAL) return [];
  const out: string[] = [];
  if (s.type === 'NodePort' || s.type === 'LoadBalancer')
    out.push(...s.ports.filter((p) => p.nodePort !== undefined).map((p) => `NodePort ${p.nodePort}/${p.protocol}`));
  out.push(...s.externalIPs.map((ip) => `externalIP ${ip}`));
  if (s.type === 'LoadBalancer') out.push(...s.loadBalancerIPs.map((ip) => `load-balancer IP ${ip}`));
  return out;
}

interface Backends {
  /** Ready endpoint address → its node (undefined when the slice does not say). */
  ready: { addr: string; node: string | undefined }[];
  evidence: string[];
}

function backends(slices: readonly EndpointSliceInfo[], s: ServiceInfo): Backends {
  const ready: Backends['ready'] = [];
  const evidence: string[] = [];
  for (const sl of slices) {
    if (sl.namespace !== s.namespace || sl.service !== s.name) continue;
    for (const e of sl.endpoints) {
      evidence.push(
        `EndpointSlice ${sl.namespace}/${sl.name}: ${e.addresses.join(',')} ${e.ready ? 'ready' : 'not ready'}${e.node !== undefined ? ` on ${e.node}` : ''}`,
      );
      if (e.ready) for (const a of e.addresses) ready.push({ addr: a, node: e.node });
    }
  }
  return { ready, evidence };
}

/** kube-proxy's rules on `h` that drop this Service's traffic for want of a local endpoint. */
function dropRules(h: HostState | undefined, s: ServiceInfo): string[] {
  if (h === undefined) return [];
  const name = `${s.namespace}/${s.name}:`;
  return h.iptables.flatMap((rs) =>
    [...rs.tables.values()].flatMap((t) =>
      [...t.chains.values()].flatMap((c) =>
        c.rules
          .filter((r) => r.raw.includes(name) && r.raw.includes('has no local endpoints'))
          .map((r) => ruleSaid(rs, r).raw),
      ),
    ),
  );
}

function podsOn(cluster: ClusterInfo, node: string): number {
  return cluster.pods.filter((p) => p.node === node && !p.hostNetwork).length;
}

function serviceLine(s: ServiceInfo): string {
  const policy = [
    s.externalTrafficPolicy !== undefined ? `externalTrafficPolicy ${s.externalTrafficPolicy}` : '',
    s.internalTrafficPolicy !== undefined ? `internalTrafficPolicy ${s.internalTrafficPolicy}` : '',
  ]
    .filter((x) => x !== '')
    .join(', ');
  return `Service ${s.namespace}/${s.name}: type ${s.type}, ${policy}`;
}

function judge(ctx: Parameters<WideScopeCheck['run']>[0], s: ServiceInfo): Finding[] {
  const external = externalEntries(s);
  const internal = s.internalTrafficPolicy === LOCAL;
  if (external.length === 0 && !internal) return [];
  const b = backends(ctx.model.cluster.endpointSlices, s);
  // No ready endpoint anywhere is another fault (service-no-endpoints); an endpoint whose node
  // the slice does not name leaves the question open.
  if (b.ready.length === 0 || b.ready.some((e) => e.node === undefined)) return [];
  const where = [...new Set(b.ready.map((e) => e.node!))].sort();
  const svc = `${s.namespace}/${s.name}`;
  const out: Finding[] = [];
  for (const n of ctx.model.cluster.nodes) {
    if (where.includes(n.name)) continue;
    const rules = dropRules(ctx.model.hosts.get(n.name), s);
    const evidence = [serviceLine(s), ...b.evidence, ...rules];
    const fix = `Send this traffic only to ${where.join(', ')} (the nodes with a ready endpoint of ${svc}), run an endpoint on ${n.name} too, or set the policy to Cluster: kubectl -n ${s.namespace} patch svc ${s.name} -p '{"spec":{"${external.length > 0 ? 'externalTrafficPolicy' : 'internalTrafficPolicy'}":"Cluster"}}'.`;
    if (external.length > 0) {
      const lbOnly = s.type === 'LoadBalancer' && s.externalIPs.length === 0;
      out.push(
        finding('service-no-local-endpoint', {
          node: n.name,
          summary: `${svc} (externalTrafficPolicy Local): ${external.join(', ')} reaching ${n.name} is dropped — no ready endpoint there; its endpoints run on ${where.join(', ')}`,
          evidence,
          fix,
          ...(lbOnly ? { severity: 'info' as const } : {}),
        }),
      );
    }
    const pods = podsOn(ctx.model.cluster, n.name);
    if (internal && pods > 0)
      out.push(
        finding('service-no-local-endpoint', {
          node: n.name,
          summary: `${svc} (internalTrafficPolicy Local): the ${pods} pod${pods === 1 ? '' : 's'} on ${n.name} cannot reach it — no ready endpoint there; its endpoints run on ${where.join(', ')}`,
          evidence,
          fix,
        }),
      );
  }
  return out;
}

export const serviceLocalEndpointsCheck: WideScopeCheck = {
  name: 'service-local-endpoints',
  describe: 'Services with traffic policy Local: nodes that receive their traffic without a local endpoint',
  scope: 'cluster',
  emits: ['service-no-local-endpoint'],
  onPath: false,
  needs: () => ({ sections: [], objects: ['services', 'endpointSlices', 'nodes', 'pods'] }),
  run: (ctx) => ctx.model.cluster.services.flatMap((s) => judge(ctx, s)),
};
