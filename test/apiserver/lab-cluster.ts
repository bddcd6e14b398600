// The API server double in front of a lab cluster (test/lab/incidents): its nodes are the lab's
// node namespaces (exec runs there, so the probe pods see each node's real network), and it
// serves the cluster's objects as the incident declaration writes them.
import type { RunningLab } from '../lab/harness/index.ts';
import type { ClusterDecl } from '../lab/incidents/cluster.ts';
import { objectsOf } from '../lab/incidents/objects.ts';
import type { ObjectKind } from '../../src/snapshot/types.ts';
import { ApiServerDouble } from './server.ts';

/** Where each kind of object is served (src/collect/kube/objects.ts KIND_SOURCES). */
const SERVED: Record<ObjectKind, [group: string, version: string, resource: string]> = {
  nodes: ['', 'v1', 'nodes'],
  pods: ['', 'v1', 'pods'],
  services: ['', 'v1', 'services'],
  endpointSlices: ['discovery.k8s.io', 'v1', 'endpointslices'],
  networkPolicies: ['networking.k8s.io', 'v1', 'networkpolicies'],
  configMaps: ['', 'v1', 'configmaps'],
  ipPools: ['crd.projectcalico.org', 'v1', 'ippools'],
  blockAffinities: ['crd.projectcalico.org', 'v1', 'blockaffinities'],
  felixConfigurations: ['crd.projectcalico.org', 'v1', 'felixconfigurations'],
  bgpConfigurations: ['crd.projectcalico.org', 'v1', 'bgpconfigurations'],
  ciliumNodes: ['cilium.io', 'v2', 'ciliumnodes'],
};

export async function doubleForLab(lab: RunningLab, d: ClusterDecl): Promise<ApiServerDouble> {
  const double = await ApiServerDouble.start({
    nodes: d.nodes.map((n) => ({
      name: n.name,
      netns: lab.netns(n.name),
      internalIP: n.ip,
      podNetns: d.pods.filter((p) => p.node === n.name).map((p) => lab.netns(p.name)),
    })),
    calico: 'crd',
    cilium: true,
    defaultPodSecurity: 'privileged',
    startDelayMs: 20,
  });
  const objects = objectsOf(d);
  for (const kind of Object.keys(objects) as ObjectKind[]) {
    const [group, version, resource] = SERVED[kind];
    for (const o of objects[kind]) double.seed(group, version, resource, o);
  }
  return double;
}
