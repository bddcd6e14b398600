// IPVS (kube-proxy's IPVS mode): which virtual server takes a packet at LOCAL_IN, and which real
// servers a new connection can be scheduled to. Pure functions over `ipvsadm` state.
import { formatIpv4 } from '../lib/ipv4.ts';
import type { IpvsRealServer, IpvsService } from '../model/types.ts';
import type { Packet } from './packet.ts';

/**
 * ip_vs_ctl.c ip_vs_service_find(): a firewall-mark service first (skb->mark, when non-zero),
 * then <protocol, vaddr, vport>, then the catch-all port 0 of a persistent service.
 */
export function findVirtualServer(services: readonly IpvsService[], p: Packet): IpvsService | undefined {
  if (p.mark !== 0) {
    const fwm = services.find((v) => v.protocol === 'fwmark' && Number(v.address) === p.mark);
    if (fwm !== undefined) return fwm;
  }
  if (p.proto !== 'tcp' && p.proto !== 'udp') return undefined;
  const dst = formatIpv4(p.dst);
  const at = (port: number): IpvsService | undefined =>
    services.find((v) => v.protocol === p.proto && v.address === dst && v.port === port);
  return at(p.dport) ?? at(0);
}

export type Schedule =
  /** The real servers a new connection can get, each a branch; `assumed` goes with every branch. */
  | { kind: 'servers'; servers: readonly IpvsRealServer[]; assumed: readonly string[] }
  /** No real server can be scheduled: ip_vs_leave() answers ICMP port unreachable and drops. */
  | { kind: 'none'; detail: string; assumed: readonly string[] }
  | { kind: 'not-modelled'; detail: string };

const METHOD_NAMES: Readonly<Record<IpvsRealServer['method'], string>> = {
  masq: 'masquerading (NAT)',
  gate: 'direct routing',
  ipip: 'IPIP tunnelling',
};

/**
 * The real servers the scheduler can pick for the first packet of a new connection from `client`.
 * Every scheduler skips a real server of weight 0 (ip_vs_rr.c, ip_vs_wrr.c, ip_vs_lc.c, ip_vs_sh.c
 * is_unavailable()): kube-proxy sets weight 0 on a terminating endpoint so that it gets no new
 * connections while its old ones drain (graceful termination).
 *
 * With persistence (`-p T`, kube-proxy's sessionAffinity: ClientIP) ip_vs_sched_persist() first
 * looks for the client's template in the connection table: a client seen within T seconds goes
 * back to its real server, even one of weight 0. The table (`ipvsadm -Lnc`) is not collected, so
 * the client is taken as new, and each branch says so.
 */
export function scheduleNew(svc: IpvsService, client: string): Schedule {
  const name = describeService(svc);
  const other = svc.realServers.find((r) => r.method !== 'masq');
  if (other !== undefined)
    return {
      kind: 'not-modelled',
      detail: `IPVS ${name} forwards to ${other.address}:${other.port} by ${METHOD_NAMES[other.method]}, which netcheck does not walk (kube-proxy uses masquerading)`,
    };
  const assumed = svc.persistent
    ? [
        `IPVS ${name} is persistent (-p ${svc.persistenceTimeout ?? 300}, sessionAffinity ClientIP): ${client} taken as a new client, with no template in the connection table (ipvsadm -Lnc is not collected); a client seen within ${svc.persistenceTimeout ?? 300} s goes back to its earlier real server`,
      ]
    : [];
  const servers = svc.realServers.filter((r) => r.weight > 0);
  if (servers.length > 0) return { kind: 'servers', servers, assumed };
  if (svc.realServers.length === 0)
    return { kind: 'none', detail: `IPVS virtual server ${name} has no real servers`, assumed };
  return {
    kind: 'none',
    detail: `every real server of IPVS virtual server ${name} has weight 0 (${svc.realServers.map((r) => `${r.address}:${r.port}`).join(', ')}: terminating endpoints draining their connections), so a new connection gets none`,
    assumed,
  };
}

function describeService(svc: IpvsService): string {
  return svc.protocol === 'fwmark' ? `fwmark ${svc.address}` : `${svc.protocol} ${svc.address}:${svc.port}`;
}
