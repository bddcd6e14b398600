// docs/incidents.md #4: a Service externalIP equal to a node's address under kube-proxy IPVS. kube-proxy
// binds every externalIP on kube-ipvs0 of every node, so 192.168.1.11 (node-a, the control plane)
// becomes a local address of node-b and node-c: their connections to the API server at
// 192.168.1.11:6443 stay on the node itself. kube-ipvs0 is a bridge without ports here (the kernel
// has no dummy driver); it is down like the real one and its /32s land in the local table alike.
import { calicoHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

const decl = calicoHealthy();
decl.name = 'externalip-node-address';
decl.kubeProxyMode = 'ipvs';
const web = decl.services.find((s) => s.name === 'web')!;
web.externalIPs = ['192.168.1.11'];

export const externalipNodeAddress: Scenario = {
  decl,
  title: 'Service externalIP equal to a node address under kube-proxy IPVS',
  node: 'node-b, node-c (and node-a)',
  summary:
    "Service default/web has externalIPs: [192.168.1.11], node-a's own address, and kube-proxy runs in IPVS mode (ConfigMap kube-proxy, mode: ipvs). kube-proxy binds 192.168.1.11/32 on kube-ipvs0 of every node, so node-b and node-c treat node-a's address as their own: kubelet → https://192.168.1.11:6443 (the API server) and etcd connections stay on the local node. LAN hosts still reach node-a (strictARP keeps the other nodes from answering ARP). Fix: remove the externalIP (an address nothing else owns, routed to a node, is what externalIPs are for).",
  flows: [
    {
      label: 'node-b → API server 192.168.1.11:6443: stays on node-b',
      from: 'node-b',
      dst: '192.168.1.11',
      proto: 'tcp',
      dport: 6443,
      expect: { forward: true, reply: true, receivedBy: 'node-b', seenSrc: '192.168.1.11' },
      decisive: { direction: 'forward', node: 'node-b', step: 'route', evidence: 'local 192.168.1.11 dev kube-ipvs0' },
    },
    {
      label: 'node-b → node-c 192.168.1.13:6443: works',
      from: 'node-b',
      dst: '192.168.1.13',
      proto: 'tcp',
      dport: 6443,
      expect: { forward: true, reply: true, receivedBy: 'node-c', seenSrc: '192.168.1.12' },
    },
    {
      label: 'LAN host → 192.168.1.11:6443: reaches node-a',
      from: 'lan-pc',
      dst: '192.168.1.11',
      proto: 'tcp',
      dport: 6443,
      expect: { forward: true, reply: true, receivedBy: 'node-a', seenSrc: '192.168.1.50' },
    },
  ],
};
