// A host interface whose prefix covers the cluster's own addresses (a storage NIC configured
// 10.10.0.12/8 instead of /24): its connected route wins, for the node's own packets, over the
// default route a ClusterIP is normally reached by — the first route lookup of a locally generated
// packet happens before nat OUTPUT's DNAT (ip_route_output, then ip_route_me_harder) and picks the
// source address — and over any pod range routed by the default gateway.
import { cidrContains, PrefixIndex, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { renderRoute } from '../../model/render/iproute2.ts';
import type { Route } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { blockCidr, podBlocks } from './ownership.ts';

const routeIndexes = new WeakMap<readonly Route[], Map<number, PrefixIndex<Route>>>();

/**
 * The route longest-prefix matching picks for `ip` in `table` (policy rules aside; the first
 * listed wins a tie). Indexed once per node and table: a node is asked for every ClusterIP.
 */
function bestIn(routes: readonly Route[], ip: Ipv4, table: number): Route | undefined {
  let tables = routeIndexes.get(routes);
  if (tables === undefined) routeIndexes.set(routes, (tables = new Map()));
  let idx = tables.get(table);
  if (idx === undefined) {
    idx = new PrefixIndex();
    for (const r of routes) {
      const c = r.family === 'inet' && r.table === table ? parseCidr4(r.dst) : undefined;
      if (c !== undefined) idx.add(c, r);
    }
    tables.set(table, idx);
  }
  return idx.longest(ip);
}

const bestMain = (routes: readonly Route[], ip: Ipv4) => bestIn(routes, ip, 254);

interface ClusterIp {
  ip: string;
  addr: Ipv4;
  svc: string;
}

const clusterIpsByServices = new WeakMap<object, ClusterIp[]>();

/** Every Service's IPv4 ClusterIPs, parsed once per analysis (every node is asked about each). */
function clusterIpsOf(ctx: AnalysisContext): ClusterIp[] {
  const services = ctx.model.cluster.services;
  let out = clusterIpsByServices.get(services);
  if (out === undefined) {
    out = services.flatMap((s) =>
      s.clusterIPs.flatMap((ip) => {
        const addr = parseIpv4(ip);
        return addr === undefined ? [] : [{ ip, addr, svc: `${s.namespace}/${s.name}` }];
      }),
    );
    clusterIpsByServices.set(services, out);
  }
  return out;
}

/** ClusterIPs no table of the node routes at all: its own connections to them fail before DNAT. */
function unroutedServices(routes: readonly Route[], ips: readonly ClusterIp[]): ClusterIp[] {
  const inet = routes.filter((r) => r.family === 'inet' && r.table !== 255);
  // A table with a default route routes every address: no ClusterIP need be looked up (10k Services × N nodes).
  if (inet.some((r) => parseCidr4(r.dst)?.len === 0)) return [];
  const tables = [...new Set(inet.map((r) => r.table))];
  return ips.filter((c) => tables.every((t) => bestIn(routes, c.addr, t) === undefined));
}

export const serviceRoutesCheck: NodeScopeCheck = {
  name: 'node-service-routes',
  describe: "the node's own route to ClusterIPs (taken before DNAT) and host routes covering pod ranges",
  scope: 'node',
  emits: ['host-route-covers-cluster-range', 'node-no-service-route'],
  onPath: true,
  needs: fixedNeeds(['ip-route', 'ip-addr'], ['services']),
  node(ctx, h) {
    const out: Finding[] = [];
    const clusterIps = clusterIpsOf(ctx);
    const blocks = podBlocks(ctx);
    const unrouted = unroutedServices(h.routes, clusterIps);
    if (unrouted.length > 0) {
      const range = ctx.model.cluster.serviceCidrs[0]?.cidr ?? '<service CIDR>';
      out.push(
        finding('node-no-service-route', {
          node: h.name,
          summary: `${h.name} has no route for ${unrouted.length} ClusterIP(s) (${unrouted
            .slice(0, 3)
            .map((s) => `${s.svc} ${s.ip}`)
            .join(
              ', ',
            )}) and no default route: its own connections to Services fail with "network unreachable" before DNAT`,
          evidence: [
            ...unrouted.slice(0, 3).map((s) => `Service ${s.svc}: clusterIP ${s.ip}`),
            `${h.name}: no default route in any table (${h.routes.filter((r) => r.family === 'inet' && r.table === 254).length} routes in main)`,
          ],
          fix: `Give ${h.name} a default route (ip route add default via <gateway> dev <nic>), or a route for the Service network (ip route add ${range} dev <nic>), persisted in its network configuration.`,
        }),
      );
    }
    for (const r of h.routes) {
      // Connected routes of an address on a host device (kube-ipvs0 holds Service addresses on purpose).
      if (r.family !== 'inet' || r.table !== 254 || r.type !== 'unicast' || r.protocol !== 'kernel') continue;
      if (r.scope !== 'link' || r.dev === undefined || r.dev === 'kube-ipvs0') continue;
      const net = parseCidr4(r.dst);
      const src = r.prefsrc !== undefined ? parseIpv4(r.prefsrc) : undefined;
      if (net === undefined || src === undefined) continue;
      // Only what this route really takes: a more specific route (a CNI's block route) still wins.
      // The route can take only addresses inside it: the cheap test first, then the lookup.
      const svcs = clusterIps.filter((c) => cidrContains(net, c.addr) && bestMain(h.routes, c.addr) === r);
      const pods = blocks.filter((b) => {
        const c = blockCidr(b);
        return cidrContains(net, c.net) && !cidrContains(c, src) && bestMain(h.routes, c.net) === r;
      });
      if (svcs.length === 0 && pods.length === 0) continue;
      const what = [
        ...(svcs.length > 0
          ? [
              `the ClusterIP of ${svcs.length} Service(s) (${svcs
                .slice(0, 3)
                .map((s) => `${s.svc} ${s.ip}`)
                .join(', ')})`,
            ]
          : []),
        ...(pods.length > 0
          ? [
              `pod range(s) ${pods
                .slice(0, 3)
                .map((b) => b.cidr)
                .join(', ')}`,
            ]
          : []),
      ].join(' and ');
      out.push(
        finding('host-route-covers-cluster-range', {
          node: h.name,
          summary: `${h.name}'s connected route ${r.dst} dev ${r.dev} covers ${what}: packets ${h.name} sends itself to them leave by ${r.dev} with source ${r.prefsrc}`,
          evidence: [
            renderRoute(r),
            ...svcs.slice(0, 3).map((s) => `Service ${s.svc}: clusterIP ${s.ip}`),
            ...pods.slice(0, 3).map((b) => b.source),
          ],
          fix: `Correct the prefix length of ${r.prefsrc} on ${r.dev} of ${h.name} (ip addr del ${r.prefsrc}/${net.len} dev ${r.dev}; ip addr add ${r.prefsrc}/<the segment's real length> dev ${r.dev}, and in the node's network configuration), or renumber that network out of the cluster's ranges.`,
        }),
      );
    }
    return out;
  },
};
