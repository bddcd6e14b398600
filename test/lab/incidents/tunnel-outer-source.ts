// docs/incidents.md #3: a two-NIC node whose encapsulated packets leave from an address its peers do
// not accept. node-b has eth0 192.168.1.12 (office LAN) and eth1 192.168.3.12 (a second LAN behind
// the router) and is registered with Calico as 192.168.3.12; the others have one NIC on the office
// LAN. The tunnel device has no fixed local address — as Calico's IPIP tunl0, which this kernel
// lacks; felix's vxlan.calico normally pins one, so here it is created without `local` — so the
// kernel picks the outer source by routing: toward 192.168.1.11 that is eth0's 192.168.1.12.
// Felix on the peers accepts VXLAN only from cali40all-vxlan-net (the registered addresses) and
// drops the rest in cali-INPUT. Packets *to* node-b arrive; everything node-b sends is dropped.
import { calicoHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

const decl = calicoHealthy();
decl.name = 'tunnel-outer-source';
decl.segments.push({ name: 'lan2', cidr: '192.168.3.0/24' });
decl.router.nics.push({ dev: 'eth1', addr: '192.168.3.1/24', segment: 'lan2' });
const nodeB = decl.nodes.find((n) => n.name === 'node-b')!;
nodeB.nics.push({ dev: 'eth1', addr: '192.168.3.12/24', segment: 'lan2' });
nodeB.ip = '192.168.3.12';
decl.calico = { natOutgoing: true, vxlanLocal: false };

export const tunnelOuterSource: Scenario = {
  decl,
  title: 'Two-NIC node: tunnel outer source is not the address peers know',
  node: 'node-b',
  summary:
    "node-b is registered as 192.168.3.12 (projectcalico.org/IPv4Address, InternalIP, the fdb entries of its peers), but its route to the other nodes is the connected 192.168.1.0/24 on eth0, so the kernel sends its VXLAN packets from 192.168.1.12. node-a and node-c accept VXLAN only from the addresses in cali40all-vxlan-net (192.168.1.11, 192.168.3.12, 192.168.1.13) and drop the rest in cali-INPUT: traffic to node-b's pods arrives, their answers and anything they send to other nodes are dropped. Fix: make the registered address and the outer source agree (IP_AUTODETECTION_METHOD=interface=eth0, or a route with `src 192.168.3.12`).",
  flows: [
    {
      label: "client-0 (node-a) → web-1 (node-b): arrives, node-b's answer is dropped by node-a",
      from: 'client-0',
      dst: '10.65.0.66',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: false, receivedBy: 'web-1', seenSrc: '10.65.0.2' },
      crossesRouter: true,
      decisive: {
        direction: 'reply',
        node: 'node-a',
        step: 'input',
        evidence: 'Drop IPv4 VXLAN packets from non-allowed hosts',
      },
    },
    {
      label: 'web-1 (node-b) → web-0 (node-c): dropped by node-c',
      from: 'web-1',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'input',
        evidence: 'Drop IPv4 VXLAN packets from non-allowed hosts',
      },
    },
    {
      label: 'client-0 (node-a) → web-0 (node-c): works',
      from: 'client-0',
      dst: '10.65.0.130',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '10.65.0.2' },
    },
  ],
};
