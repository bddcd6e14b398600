// Pod → host outside the cluster without source NAT: the far end answers to the pod address, so
// something outside the cluster (the host itself, or its router) must route the pod network to a
// node. netcheck sees the nodes, not the LAN: unless the LAN's route is given (lan --via) the way
// back is an assumption, and the answer says so instead of calling the path reachable.
import { text } from '../../model/render/said.ts';
import type { Trace } from '../../engine/trace.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { masqueradeConfig } from './egress-source.ts';

export interface EgressReturn {
  /** namespace/name, its address and node. */
  pod: { name: string; ip: string; node: string };
  lanIp: string;
  /** Where the reply trace assumed the LAN sends the pod network. */
  assumedEntry: string;
  label: string;
}

/** The pod's pod network: the pool or node range that holds its address, as the LAN would have to route it. */
function podNetworkOf(ctx: AnalysisContext, ip: string, node: string): string | undefined {
  const pool = masqueradeConfig(ctx, ip, node).find((l) => l.startsWith('IPPool '));
  return pool === undefined ? undefined : /\(([^)]+)\)/.exec(pool)?.[1];
}

/** A finding when the pod reaches `lanIp` with its own address and the way back is not known. */
export function egressReturnFinding(ctx: AnalysisContext, t: Trace, e: EgressReturn): Finding | undefined {
  if (t.verdict !== 'delivered' || t.seenAs?.src !== e.pod.ip) return undefined;
  const net = podNetworkOf(ctx, e.pod.ip, e.pod.node) ?? e.pod.ip;
  const last = t.hops[t.hops.length - 1];
  return finding('egress-no-return-route', {
    node: e.pod.node,
    summary: `${e.label}: ${e.lanIp} receives ${e.pod.name}'s packets from its pod address ${e.pod.ip} (no source NAT on the way) and answers to it; whether ${e.lanIp} or its router routes ${net} back to a node is not in the snapshot (the LAN is not probed), so the way back is unknown — the reply trace assumed it enters at ${e.assumedEntry}`,
    evidence: [
      `seen by ${e.lanIp} as ${t.seenAs.src}${t.seenAs.sport !== undefined ? `:${t.seenAs.sport}` : ''} → ${t.seenAs.dst}${t.seenAs.dport !== undefined ? `:${t.seenAs.dport}` : ''}`,
      ...(last !== undefined ? [`last hop: ${last.node} ${last.step}: ${text(last.detail)}`] : []),
      ...masqueradeConfig(ctx, e.pod.ip, e.pod.node),
      `assumed: the LAN sends ${net} to ${e.assumedEntry} (not collected: the routes of ${e.lanIp} and its router)`,
    ],
    fix: `Either make the LAN route ${net} to the nodes (a static route on the router, or BGP with the CNI) and tell netcheck where it enters (lan ${e.lanIp} ${e.pod.name} --via NODE), or masquerade pod traffic leaving the cluster (Calico: natOutgoing: true on the IPPool; Cilium: enable-ipv4-masquerade; flannel: --ip-masq).`,
  });
}
