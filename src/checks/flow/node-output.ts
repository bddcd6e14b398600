// A node's own packet to a Service address: the kernel routes it for the ClusterIP first
// (ip_route_output_key in the socket's send path), and only then does nat OUTPUT DNAT it and
// ip_route_me_harder route it again (net/ipv4/netfilter.c). A node that routes nothing for the
// Service network — no default route — fails at the first lookup although the backend is routable.
import type { Finding } from '../finding.ts';
import type { AnalysisContext } from '../context.ts';

export function explainNodeOutput(
  ctx: AnalysisContext,
  f: Finding,
  node: string,
  dst: { ip: string; service?: { namespace: string; name: string } },
): Finding {
  if (
    f.id !== 'no-route' ||
    f.node !== node ||
    dst.service === undefined ||
    !f.summary.includes(`no route to ${dst.ip}`)
  )
    return f;
  const range = ctx.model.cluster.serviceCidrs[0];
  const svc = `${dst.service.namespace}/${dst.service.name}`;
  return {
    ...f,
    summary: `${f.summary}: a packet ${node} sends itself is routed for the ClusterIP of Service ${svc} before nat OUTPUT rewrites it to an endpoint, and ${node} routes nothing for ${dst.ip}`,
    evidence: [...f.evidence, `Service ${svc}: clusterIP ${dst.ip}`],
    fix: `Give ${node} a default route (ip route add default via <gateway> dev <nic>), or at least a route for the Service network (ip route add ${range?.cidr ?? '<service CIDR>'} dev <nic>), persisted in its network configuration; the route only has to exist: DNAT and the second lookup pick the real path.`,
  };
}
