// docs/incidents.md #5: pod egress masqueraded to the node address. Cilium native routing, pod CIDRs
// routed in the LAN; after the upgrade to 1.11 masquerading is on (enable-ipv4-masquerade, default
// true; the old `masquerade` key is deprecated and ignored), so traffic from pods to anything
// outside ipv4-native-routing-cidr leaves as the node address and the MySQL server's grants for
// the pod network no longer match.
import { ciliumHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

const decl = ciliumHealthy();
decl.name = 'pod-egress-masquerade';
decl.cilium = {
  config: {
    ...decl.cilium!.config,
    // Left over from the 1.8 install: deprecated names the 1.11 agent no longer reads.
    masquerade: 'true',
    'native-routing-cidr': '10.0.0.0/16',
    'enable-ipv4-masquerade': 'true',
  },
};

export const podEgressMasquerade: Scenario = {
  decl,
  title: 'Pod egress is masqueraded to the node address',
  node: 'node-c (every node)',
  summary:
    'cilium-config has enable-ipv4-masquerade: "true" (plus the deprecated masquerade: "true" and native-routing-cidr left from Cilium 1.8), so every node masquerades pod traffic leaving ipv4-native-routing-cidr 10.0.0.0/16: `-A CILIUM_POST_nat -s 10.0.3.0/24 ! -d 10.0.0.0/16 ! -o cilium_+ -m comment --comment "cilium masquerade non-cluster" -j MASQUERADE` on node-c. The MySQL server at 192.168.1.50 sees orders-0 as 192.168.1.13 instead of 10.0.3.21 and its grants (for 10.0.%) refuse the login. Traffic inside 10.0.0.0/16 keeps pod addresses, and the LAN still reaches pods directly. Fix: enable-ipv4-masquerade: "false" (pods are routable), or add the LAN to the native-routing CIDR.',
  flows: [
    {
      label: 'orders-0 (node-c) → MySQL 192.168.1.50:3306: seen as node-c',
      from: 'orders-0',
      dst: '192.168.1.50',
      proto: 'tcp',
      dport: 3306,
      expect: { forward: true, reply: true, receivedBy: 'mysql', seenSrc: '192.168.1.13' },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'postrouting',
        evidence: 'cilium masquerade non-cluster',
      },
    },
    {
      label: 'orders-0 (node-c) → billing-0 (node-a): pod address kept',
      from: 'orders-0',
      dst: '10.0.1.34',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'billing-0', seenSrc: '10.0.3.21' },
    },
    {
      label: 'MySQL host → orders-0: works',
      from: 'mysql',
      dst: '10.0.3.21',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'orders-0', seenSrc: '192.168.1.50' },
    },
  ],
};

/** The same cluster with masquerading off: MySQL sees the pod address. */
export const ciliumNoMasquerade: Scenario = {
  decl: ciliumHealthy(),
  title: 'Cilium native routing without masquerading (healthy)',
  node: '-',
  summary: 'enable-ipv4-masquerade: "false": pods keep their addresses toward the LAN.',
  flows: [
    {
      label: 'orders-0 (node-c) → MySQL 192.168.1.50:3306: seen as the pod',
      from: 'orders-0',
      dst: '192.168.1.50',
      proto: 'tcp',
      dport: 3306,
      expect: { forward: true, reply: true, receivedBy: 'mysql', seenSrc: '10.0.3.21' },
    },
  ],
};
