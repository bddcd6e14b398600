// Service traffic policy (issue #12): default/web as a NodePort (30080) on the healthy Calico
// cluster, its endpoints web-1 on node-b and web-0 on node-c, nothing of it on node-a. With
// externalTrafficPolicy Cluster every node forwards the NodePort (masqueraded); with Local,
// kube-proxy on node-a drops it ("has no local endpoints", filter KUBE-EXTERNAL-SERVICES) while
// node-c serves it with the client's own address.
import { calicoHealthy } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';

const NODE_PORT = 30080;

function nodePortCluster(name: string, policy: 'Cluster' | 'Local'): ClusterDecl {
  const d = calicoHealthy();
  d.name = name;
  const web = d.services.find((s) => s.name === 'web')!;
  web.nodePort = NODE_PORT;
  web.externalTrafficPolicy = policy;
  return d;
}

const toNodeC: FlowCase = {
  label: 'LAN host → node-c:30080: served by either endpoint',
  from: 'lan-pc',
  dst: '192.168.1.13',
  proto: 'tcp',
  dport: NODE_PORT,
  listen: [8080],
  expect: { forward: true, reply: true },
};

export const nodePortClusterPolicy: Scenario = {
  decl: nodePortCluster('nodeport-cluster-policy', 'Cluster'),
  title: 'NodePort Service, externalTrafficPolicy Cluster (healthy)',
  node: '-',
  summary:
    "Nothing is broken. default/web is a NodePort Service (30080) with externalTrafficPolicy: Cluster, the default: every node forwards the NodePort to any endpoint, masquerading the client to the node's address, so node-a (no web pod) serves it too.",
  flows: [
    {
      label: 'LAN host → node-a:30080 (no web pod there): forwarded to an endpoint, masqueraded',
      from: 'lan-pc',
      dst: '192.168.1.11',
      proto: 'tcp',
      dport: NODE_PORT,
      listen: [8080],
      expect: { forward: true, reply: true },
    },
    toNodeC,
  ],
};

export const nodePortLocalPolicy: Scenario = {
  decl: nodePortCluster('nodeport-local-no-endpoint', 'Local'),
  title: 'externalTrafficPolicy Local: the node that receives the NodePort has no endpoint',
  node: 'node-a',
  summary:
    'default/web is a NodePort Service (30080) with externalTrafficPolicy: Local; its endpoints run on node-b and node-c. kube-proxy on node-a has no local endpoint for it and drops the NodePort (filter KUBE-EXTERNAL-SERVICES, "default/web:http has no local endpoints"): the LAN host times out on node-a and is served on node-c, with its own address preserved. Fix: send NodePort traffic only to nodes with an endpoint, run one on every node, or set externalTrafficPolicy: Cluster.',
  flows: [
    {
      label: 'LAN host → node-a:30080: dropped on node-a, no local endpoint',
      from: 'lan-pc',
      dst: '192.168.1.11',
      proto: 'tcp',
      dport: NODE_PORT,
      listen: [8080],
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-a', step: 'input', evidence: 'has no local endpoints' },
    },
    {
      ...toNodeC,
      label: 'LAN host → node-c:30080 (web-0 runs there): served by web-0, the client address kept',
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '192.168.1.50' },
    },
  ],
};
