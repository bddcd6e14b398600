// docs/incidents.md #6: Canal where a node's CNI config and flannel's lease disagree. flannel leased
// node-c 10.1.3.0/24 (FLANNEL_SUBNET, node.spec.podCIDR, what the other nodes route to node-c over
// flannel.1, the subnet its POSTROUTING rules are built for), but node-c's 10-canal.conflist still
// hands out 10.1.9.0/24 from an old lease: its pods get addresses nobody routes to node-c, so
// their cross-node traffic goes out but never comes back (seen as DNS failures: CoreDNS answers
// are lost).
import { canalHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

const decl = canalHealthy();
decl.name = 'canal-subnet-mismatch';
decl.canal = { cniSubnet: { 'node-c': '10.1.9.0/24' } };
decl.pods.find((p) => p.name === 'api-0')!.ip = '10.1.9.5';

export const canalSubnetMismatch: Scenario = {
  decl,
  title: 'Canal: flannel subnet and CNI subnet disagree',
  node: 'node-c',
  summary:
    "On node-c /run/flannel/subnet.env says FLANNEL_SUBNET=10.1.3.1/24 (also node.spec.podCIDR 10.1.3.0/24, flannel.1 10.1.3.0/32, the POSTROUTING `! -s 10.1.0.0/16 -d 10.1.3.0/24 -j RETURN` rule, and what node-a/node-b route to node-c), but /etc/cni/net.d/10-canal.conflist has ipam subnet 10.1.9.1/24, so api-0 runs as 10.1.9.5. Nothing routes 10.1.9.0/24 to node-c: api-0's DNS queries reach CoreDNS on node-a, whose answers follow node-a's default route to the LAN router and are lost. Fix: rewrite the conflist from the lease (subnet usePodCidr) and recreate node-c's pods.",
  flows: [
    {
      label: 'api-0 (node-c, 10.1.9.5) → CoreDNS (node-a) udp/53: the query arrives, the answer is lost',
      from: 'api-0',
      dst: '10.1.1.10',
      proto: 'udp',
      dport: 53,
      expect: { forward: true, reply: false, receivedBy: 'coredns-5dd5756b68-7xq2k', seenSrc: '10.1.9.5' },
      decisive: { direction: 'reply', node: 'lan-router', step: 'route', evidence: '10.1.9.5' },
    },
    {
      label: 'CoreDNS (node-a) → api-0 10.1.9.5: no route to it beyond node-a',
      from: 'coredns-5dd5756b68-7xq2k',
      dst: '10.1.9.5',
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'lan-router', step: 'route', evidence: '10.1.9.5' },
    },
    {
      label: 'api-1 (node-b) → CoreDNS (node-a): works',
      from: 'api-1',
      dst: '10.1.1.10',
      proto: 'udp',
      dport: 53,
      expect: { forward: true, reply: true, receivedBy: 'coredns-5dd5756b68-7xq2k', seenSrc: '10.1.2.7' },
    },
  ],
};

/** The same cluster with the conflist built from the lease. */
export const canalConsistent: Scenario = {
  decl: canalHealthy(),
  title: 'Canal with consistent subnets (healthy)',
  node: '-',
  summary: 'FLANNEL_SUBNET, podCIDR and the CNI ipam subnet agree on every node.',
  flows: [
    {
      label: 'api-0 (node-c) → CoreDNS (node-a) udp/53',
      from: 'api-0',
      dst: '10.1.1.10',
      proto: 'udp',
      dport: 53,
      expect: { forward: true, reply: true, receivedBy: 'coredns-5dd5756b68-7xq2k', seenSrc: '10.1.3.5' },
    },
  ],
};
