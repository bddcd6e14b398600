// The Kubernetes objects of the Calico nftables lab node (calico-nft.test.ts), in the shapes the
// API server lists them: the node, the three pods of namespace default with their app labels,
// the IPPool they are in, and NetworkPolicy default/web-8080 (web admits TCP 8080 from anywhere),
// the policy felix-nft.ts renders.
import type { KubeObject, SnapshotObjects } from '../../src/snapshot/types.ts';
import { emptyObjects } from '../../src/snapshot/types.ts';

export function calicoNftObjects(pods: Readonly<Record<string, string>>): SnapshotObjects {
  const o = emptyObjects();
  o.nodes = [
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node', annotations: { 'projectcalico.org/IPv4Address': '10.128.0.212/24' } },
      status: { addresses: [{ type: 'InternalIP', address: '10.128.0.212' }] },
    },
  ];
  o.pods = Object.entries(pods).map(
    ([name, ip]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name.replace(/-\d+$/, '') } },
      spec: { nodeName: 'node', containers: [{ name: 'c' }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    }),
  );
  o.ipPools = [
    {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '192.168.0.0/16', vxlanMode: 'Always', ipipMode: 'Never', natOutgoing: true },
    },
  ];
  o.networkPolicies = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web-8080', namespace: 'default' },
      spec: {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
      },
    },
  ];
  return o;
}
