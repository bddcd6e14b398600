// Builds the engine's World from the analysed Model: every probed host, the pods that run on
// probed nodes (host-network pods are their node), and the external hosts a command names.
import { parseIpv4 } from '../lib/ipv4.ts';
import type { ClusterInfo } from '../model/cluster.ts';
import type { HostState } from '../model/types.ts';
import { buildHostNet } from './host-net.ts';
import { indexWorld } from './world.ts';
import type { ExternalEndpoint, PodEndpoint, World } from './world.ts';

export function buildWorld(
  hosts: readonly HostState[],
  cluster: ClusterInfo,
  externals: ExternalEndpoint[] = [],
): World {
  const nets = new Map(hosts.map((h) => [h.name, buildHostNet(h)]));
  const pods: PodEndpoint[] = [];
  for (const p of cluster.pods) {
    if (p.hostNetwork || p.node === undefined || !nets.has(p.node)) continue;
    for (const s of p.ips) {
      const ip = parseIpv4(s);
      if (ip !== undefined) pods.push({ name: `${p.namespace}/${p.name}`, ip, node: p.node });
    }
  }
  return indexWorld({ hosts: nets, pods, externals });
}
