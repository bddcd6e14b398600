// Faults netcheck has the data for (issue #12), each on the healthy Calico VXLAN cluster with one
// thing changed: the kernel shows what happens, the example captured from the same lab shows
// that netcheck names it.
import { variant } from './everyday.ts';
import type { Scenario } from './scenario.ts';

/**
 * kube-proxy's rules written through iptables-legacy, felix's through iptables-nft. Both run:
 * kube-proxy's KUBE-FORWARD (legacy filter FORWARD) and felix's VXLAN accept (nft filter INPUT)
 * are on every pod flow's path, and the engine must walk both to agree with the kernel.
 */
export const iptablesSplitBackends: Scenario = {
  decl: variant('iptables-split-backends', (d) => {
    d.kubeProxyBackend = 'legacy';
  }),
  title: 'kube-proxy writes through iptables-legacy, Calico through iptables-nft',
  node: 'every node',
  summary:
    "Every node has kube-proxy's KUBE-* chains in iptables-legacy and felix's cali-* chains in iptables-nft (kube-proxy's image picked the legacy backend, the host and felix use nft). The kernel runs both, so Services and pod traffic still work today, but each agent sees and repairs only its own half: an ACCEPT in one does not spare a DROP in the other, and a second nat rule for the same connection would race in hook registration order. doctor reports iptables-split-backends on each node.",
  flows: [
    {
      label: 'web-1 (node-b) → client-0 (node-a): FORWARD crosses both backends',
      from: 'web-1',
      dst: '10.65.0.2',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '10.65.0.66' },
    },
    {
      label: 'client-0 (node-a) → web-0 (node-c) over VXLAN (felix accept in iptables-nft)',
      from: 'client-0',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '10.65.0.2' },
    },
  ],
};

/**
 * Pod egress without masquerading (IPPool natOutgoing: false) on a LAN whose router has no route
 * for the pod network: the LAN host receives the pod's packets from the pod address and answers
 * to its router, which has nowhere to send them. From the nodes' state alone the way back is not
 * known (the LAN is not probed): netcheck must say what it assumes, not call it reachable.
 */
export const egressNoWayBack: Scenario = {
  decl: variant('egress-no-way-back', (d) => {
    d.calico = { ...d.calico!, natOutgoing: false };
    d.router.routes = [];
  }),
  title: 'Pod egress keeps the pod address and nothing routes the pod network back',
  node: 'node-c (the LAN router)',
  summary:
    "The IPPool has natOutgoing: false, so web-0's packets reach the LAN host 192.168.1.50 from 10.65.0.130; the LAN router has no route for 10.65.0.0/16 (no static route, no BGP), so the answer dies there. netcheck sees only the nodes: `lan` without --via reports egress-no-return-route with the assumption it had to make (the answer entering at web-0's node), and with --via node-a (the route the LAN would need) the path is shown to work.",
  flows: [
    {
      label: 'web-0 (node-c) → LAN host: arrives with the pod address, the answer is lost at the router',
      from: 'web-0',
      dst: '192.168.1.50',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: false, receivedBy: 'lan-pc', seenSrc: '10.65.0.130' },
    },
  ],
};

/**
 * node-a's neighbour and fdb entries for node-c's VTEP hold an old MAC (node-c's vxlan.calico was
 * recreated): node-a encapsulates to the right host, and node-c's device drops the frame as not
 * its own. Pods on node-b still reach node-c, and node-c still reaches node-a.
 */
export const vtepMacMismatch: Scenario = {
  decl: variant('vtep-mac-mismatch', (d) => {
    d.staleVtepMacs = [{ host: 'node-a', peer: 'node-c', mac: '66:8e:3a:1c:0a:99' }];
  }),
  title: "A peer's VTEP entry holds an old MAC",
  node: 'node-a (entries for node-c)',
  summary:
    "node-a's neighbour entry for node-c's VTEP 10.65.0.128 says lladdr 66:8e:3a:1c:0a:99 (and the fdb sends that MAC to 192.168.1.13), but node-c's vxlan.calico has MAC 66:8e:3a:1c:0a:13. node-a's VXLAN packets reach node-c, whose device takes them and drops the inner frame as addressed to another host: everything from node-a's pods to node-c's pods is lost, and node-c's pods' answers to node-a never matter. node-b is not affected.",
  flows: [
    {
      label: 'client-0 (node-a) → web-0 (node-c): dropped by node-c vxlan.calico (frame not for its MAC)',
      from: 'client-0',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-c', step: 'decapsulate', evidence: '66:8e:3a:1c:0a:99' },
    },
    {
      label: 'web-0 (node-c) → client-0 (node-a): arrives, the answer is lost the same way',
      from: 'web-0',
      dst: '10.65.0.2',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: false, receivedBy: 'client-0', seenSrc: '10.65.0.130' },
      decisive: { direction: 'reply', node: 'node-c', step: 'decapsulate', evidence: '66:8e:3a:1c:0a:99' },
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

/**
 * The pods' veths at 1500 while vxlan.calico has 1450 (a CNI mtu set by hand, or pods created
 * before the tunnel MTU was lowered): small packets work; full-size ones with DF die at the
 * tunnel (test/lab/incidents/mtu.test.ts sends them with ping -M do).
 */
export const podMtuAboveTunnel: Scenario = {
  decl: variant('pod-mtu-above-tunnel', (d) => {
    d.podMtu = 1500;
  }),
  title: "The pods' MTU is above the tunnel's",
  node: 'every node',
  summary:
    "Every pod's veth has MTU 1500 while vxlan.calico has 1450 (Calico's veth_mtu set by hand, or pods created before the tunnel MTU was lowered). Small packets cross nodes, and everything works until a pod sends a full-size packet to another node: with Don't Fragment (TCP) node-a drops it at vxlan.calico and answers ICMP fragmentation-needed, so transfers stall wherever that ICMP is lost. doctor reports pod-mtu-above-tunnel on each node; `pod-to-pod ... --size 1500` names the hop.",
  flows: [
    {
      label: 'client-0 (node-a) → web-1 (node-b): a small packet crosses the tunnel',
      from: 'client-0',
      dst: '10.65.0.66',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-1', seenSrc: '10.65.0.2' },
    },
  ],
};
