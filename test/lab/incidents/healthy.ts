// The healthy Calico VXLAN cluster: every flow the incidents break works here.
import { calicoHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

export const healthy: Scenario = {
  decl: calicoHealthy(),
  title: 'Healthy Calico VXLAN cluster',
  node: '-',
  summary:
    "Nothing is broken. LAN → pod traffic enters at node-a (the LAN router's static route for 10.65.0.0/16) and is carried over vxlan.calico to the node that owns the pod's block; pods on different nodes reach each other; pod → LAN traffic is masqueraded to the node address (IPPool natOutgoing: true, Calico's default).",
  flows: [
    {
      label: 'LAN host → web-0 on node-c (via node-a, VXLAN)',
      from: 'lan-pc',
      dst: '10.65.0.130',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '192.168.1.50' },
    },
    {
      label: 'LAN host → client-0 on node-a',
      from: 'lan-pc',
      dst: '10.65.0.2',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '192.168.1.50' },
    },
    {
      label: 'client-0 (node-a) → web-1 (node-b)',
      from: 'client-0',
      dst: '10.65.0.66',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-1', seenSrc: '10.65.0.2' },
    },
    {
      label: 'web-0 (node-c) → client-0 (node-a)',
      from: 'web-0',
      dst: '10.65.0.2',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '10.65.0.130' },
    },
    {
      label: 'web-0 → LAN host (natOutgoing: seen as node-c)',
      from: 'web-0',
      dst: '192.168.1.50',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'lan-pc', seenSrc: '192.168.1.13' },
    },
    {
      label: 'node-b → node-a API server',
      from: 'node-b',
      dst: '192.168.1.11',
      proto: 'tcp',
      dport: 6443,
      expect: { forward: true, reply: true, receivedBy: 'node-a', seenSrc: '192.168.1.12' },
    },
  ],
};
