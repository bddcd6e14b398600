// Two IP subnets on one L2 segment (issue #10, items 2 and 3). node-b has two NICs on the office
// switch: eth0 192.168.1.12/24 and eth1 192.168.3.12/24, and the cluster knows it as 192.168.3.12
// (InternalIP, Calico's IPv4Address, its peers' fdb entries). node-a and node-c reach
// 192.168.3.0/24 straight over their eth0 (`192.168.3.0/24 dev eth0 scope link`): the second
// subnet lives on the same switch. Both of node-b's NICs answer ARP for either address
// (arp_ignore 0), so whichever reply came first is in a peer's neighbour table.
//
// - twoSubnetsOneSegment: healthy. vxlan.calico on node-b has `local 192.168.3.12 dev eth1`;
//   pod traffic flows both ways. netcheck must see node-b behind node-a's eth0 from node-a's
//   neighbour entry, not from a shared subnet (there is none).
// - devBoundTunnel: vxlan.calico on node-b is bound to eth1 (`dev eth1`) with no `local`. Calico's
//   fdb entries carry no `via`, so the kernel routes node-b's VXLAN packets unbound and sources
//   them from 192.168.1.12 (eth0's connected route) — not in the peers' cali40all-vxlan-net, so
//   node-a and node-c drop everything node-b sends: answers of node-b's pods are lost.
import { host, mergeLabs } from '../harness/index.ts';
import { calicoHealthy } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase } from './scenario.ts';
import { tunnelOuterSource } from './tunnel-outer-source.ts';

function twoNicNodeB(name: string, calico: NonNullable<ClusterDecl['calico']>): ClusterDecl {
  const decl = calicoHealthy();
  decl.name = name;
  const nodeB = decl.nodes.find((n) => n.name === 'node-b')!;
  nodeB.nics.push({ dev: 'eth1', addr: '192.168.3.12/24', segment: 'lan' });
  nodeB.ip = '192.168.3.12';
  decl.calico = calico;
  const onLink = '192.168.3.0/24 dev eth0 scope link';
  decl.tweaks = mergeLabs(host('node-a', { routes: [onLink] }), host('node-c', { routes: [onLink] }));
  return decl;
}

export const twoSubnetsOneSegment = twoNicNodeB('two-subnets-one-segment', { natOutgoing: true, vxlanLocal: true });
export const devBoundTunnel = twoNicNodeB('dev-bound-tunnel', {
  natOutgoing: true,
  vxlanLocal: false,
  vxlanDevOnly: true,
});

/** The addresses node-a and node-c must have resolved on eth0 for netcheck to see node-b there. */
export const WARM_UP = [
  { from: 'node-a', dst: '192.168.3.12' },
  { from: 'node-c', dst: '192.168.3.12' },
  { from: 'node-b', dst: '192.168.1.11' },
  { from: 'node-b', dst: '192.168.1.13' },
] as const;

export const HEALTHY_FLOWS: FlowCase[] = [
  {
    label: 'client-0 (node-a) → web-1 (node-b): across the second subnet on the same switch',
    from: 'client-0',
    dst: '10.65.0.66',
    proto: 'udp',
    dport: 8080,
    expect: { forward: true, reply: true, receivedBy: 'web-1', seenSrc: '10.65.0.2' },
  },
  {
    label: 'web-1 (node-b) → web-0 (node-c)',
    from: 'web-1',
    dst: '10.65.0.130',
    proto: 'tcp',
    dport: 8080,
    expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '10.65.0.66' },
  },
];

/** The flows of docs/incidents.md #3 (tunnel-outer-source.ts): the same fault, now on one switch. */
export const DEV_BOUND_FLOWS: FlowCase[] = tunnelOuterSource.flows.slice(0, 2).map(({ crossesRouter: _, ...f }) => f);
