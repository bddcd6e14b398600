// docs/incidents.md #1: strict rp_filter on the tunnel device of the node that hosts the target pod.
// The LAN router sends the pod network to node-a; node-a carries LAN → web-0 traffic over
// vxlan.calico to node-c; node-c has rp_filter = 1 on vxlan.calico (the seed: Calico set it on
// tunl0, with conf.all = 0 and conf.default = 1), and its route back to 192.168.1.50 leaves by
// eth0, so the packet fails reverse-path validation and dies before FORWARD, leaving no iptables
// trace. Calico IPIP's tunl0 is vxlan.calico here (the kernel has no IPIP).
import { host, mergeLabs } from '../harness/index.ts';
import { calicoHealthy } from './base.ts';
import type { Scenario } from './scenario.ts';

const decl = calicoHealthy();
decl.name = 'rp-filter-tunnel';
decl.tweaks = mergeLabs(
  host('node-c', {
    sysctls: {
      'net.ipv4.conf.all.rp_filter': '0',
      'net.ipv4.conf.default.rp_filter': '1',
      'net.ipv4.conf.vxlan.calico.rp_filter': '1',
    },
  }),
);

export const rpFilterTunnel: Scenario = {
  decl,
  title: 'Strict rp_filter on the tunnel device drops LAN → pod traffic',
  node: 'node-c',
  summary:
    "node-c has net.ipv4.conf.vxlan/calico.rp_filter = 1 (strict; conf.all = 0, conf.default = 1). LAN traffic for web-0 enters the cluster at node-a (the LAN router's static route 10.65.0.0/16 via 192.168.1.11) and reaches node-c on vxlan.calico, but node-c's route back to 192.168.1.50 leaves by eth0: reverse-path validation drops it before FORWARD. Pods on node-a still answer the LAN, and web-0 still answers other nodes and pods.",
  flows: [
    {
      label: 'LAN host → web-0 on node-c (via node-a, VXLAN): dropped by rp_filter on node-c',
      from: 'lan-pc',
      dst: '10.65.0.130',
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'rp-filter',
        evidence: 'net.ipv4.conf.vxlan/calico.rp_filter = 1',
      },
    },
    {
      label: 'LAN host → client-0 on node-a: works',
      from: 'lan-pc',
      dst: '10.65.0.2',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '192.168.1.50' },
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
