// docs/incidents.md #2: a tunnel route whose next hop is not the block owner's tunnel endpoint. In the
// seed, node X (hosting pod 10.122.127.128) had `10.122.17.64/26 via 10.122.127.128 dev tunl0`:
// the gateway was a pod address, not the node owning the block. Here node-c's route for node-a's
// block 10.65.0.0/26 points at web-0's address (a pod on node-c) instead of node-a's VTEP
// 10.65.0.0 (Calico VXLAN mode standing in for IPIP). No neighbour or fdb entry exists for that
// "gateway" on vxlan.calico, so nothing is encapsulated toward node-a: traffic from node-a's pods
// reaches web-0, but the answers never get back.
import { calicoHealthy } from './base.ts';
import { VXLAN_CALICO } from './cluster.ts';
import type { Scenario } from './scenario.ts';

const decl = calicoHealthy();
decl.name = 'tunnel-next-hop';
decl.routeEdits = [
  {
    host: 'node-c',
    from: `10.65.0.0/26 via 10.65.0.0 dev ${VXLAN_CALICO} onlink proto 80`,
    to: `10.65.0.0/26 via 10.65.0.130 dev ${VXLAN_CALICO} onlink proto 80`,
  },
];

export const tunnelNextHop: Scenario = {
  decl,
  title: 'Tunnel route points at the wrong next hop',
  node: 'node-c',
  summary:
    "node-c routes node-a's block with `10.65.0.0/26 via 10.65.0.130 dev vxlan.calico onlink proto 80`: the gateway is web-0's pod address, not node-a's VXLAN tunnel address 10.65.0.0 (BlockAffinity node-a ↔ 10.65.0.0/26, node-a's projectcalico.org/IPv4VXLANTunnelAddr). vxlan.calico has no neighbour entry for 10.65.0.130, so packets for node-a's pods are never encapsulated. Fix: `ip route replace 10.65.0.0/26 via 10.65.0.0 dev vxlan.calico onlink` (felix restores it when it resyncs).",
  flows: [
    {
      label: "client-0 (node-a) → web-0 (node-c): arrives, but node-c's answer is lost",
      from: 'client-0',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: false, receivedBy: 'web-0', seenSrc: '10.65.0.2' },
      decisive: { direction: 'reply', node: 'node-c', step: 'neighbor', evidence: 'via 10.65.0.130 dev vxlan.calico' },
    },
    {
      label: 'web-0 (node-c) → client-0 (node-a): lost on node-c',
      from: 'web-0',
      dst: '10.65.0.2',
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'neighbor',
        evidence: 'via 10.65.0.130 dev vxlan.calico',
      },
    },
    {
      label: 'web-1 (node-b) → web-0 (node-c): works',
      from: 'web-1',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '10.65.0.66' },
    },
  ],
};
