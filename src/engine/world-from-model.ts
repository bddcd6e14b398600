// Builds the engine's World from the analysed Model: every probed host, the pods that run on
// probed nodes (host-network pods are their node), the external hosts a command names, and what
// the cluster objects add: pods and addresses of nodes that were not probed, and each probed
// node's datapath (IPVS, eBPF) that its own state does not fully show.
import { parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { ClusterInfo } from '../model/cluster.ts';
import { unmodelledDatapath } from '../model/cni/index.ts';
import { detectFlavour } from '../model/detect.ts';
import type { HostState } from '../model/types.ts';
import { buildHostNet } from './host-net.ts';
import { indexWorld } from './world.ts';
import type { ExternalEndpoint, NodeDatapath, PodEndpoint, World } from './world.ts';

export function buildWorld(
  hosts: readonly HostState[],
  cluster: ClusterInfo,
  externals: ExternalEndpoint[] = [],
): World {
  const nets = new Map(hosts.map((h) => [h.name, buildHostNet(h)]));
  const pods: PodEndpoint[] = [];
  const unprobedPods: PodEndpoint[] = [];
  for (const p of cluster.pods) {
    if (p.hostNetwork || p.node === undefined) continue;
    for (const s of p.ips) {
      const ip = parseIpv4(s);
      if (ip === undefined) continue;
      (nets.has(p.node) ? pods : unprobedPods).push({ name: `${p.namespace}/${p.name}`, ip, node: p.node });
    }
  }
  const nodeAddresses = new Map<Ipv4, string>();
  for (const n of cluster.nodes) {
    for (const a of n.internalIPs) {
      const ip = parseIpv4(a);
      if (ip !== undefined) nodeAddresses.set(ip, n.name);
    }
  }
  const flavour = detectFlavour(cluster, hosts);
  const ipvsMode = flavour.proxy.value === 'ipvs';
  const gateway = flavour.module?.podGateway !== undefined ? parseIpv4(flavour.module.podGateway) : undefined;
  const notModelled = unmodelledDatapath(cluster);
  const datapath = new Map<string, NodeDatapath>(
    hosts.map((h) => [h.name, { ipvs: ipvsMode || h.links.some((l) => l.name === 'kube-ipvs0'), notModelled }]),
  );
  return indexWorld({
    hosts: nets,
    pods,
    externals,
    unprobedPods,
    nodeAddresses,
    datapath,
    ...(gateway !== undefined ? { podGateway: gateway } : {}),
  });
}
