// The everyday faults docs/incidents.md lists around the six incidents, each on the healthy Calico
// VXLAN cluster with one thing changed on one node.
import { host } from '../harness/index.ts';
import { calicoHealthy } from './base.ts';
import { VXLAN_CALICO } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';

const podToWeb0: Omit<FlowCase, 'label' | 'expect'> = {
  from: 'client-0',
  dst: '10.65.0.130',
  proto: 'udp',
  dport: 8080,
};
const works: FlowCase = {
  label: 'web-1 (node-b) → client-0 (node-a): works',
  from: 'web-1',
  dst: '10.65.0.2',
  proto: 'udp',
  dport: 8080,
  expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '10.65.0.66' },
};

/** The healthy Calico VXLAN cluster renamed, with `edit` applied. */
export function variant(
  name: string,
  edit: (d: ReturnType<typeof calicoHealthy>) => void,
): ReturnType<typeof calicoHealthy> {
  const d = calicoHealthy();
  d.name = name;
  edit(d);
  return d;
}

/** ip_forward = 0 on node-c: what arrives on vxlan.calico for its pods is not forwarded. */
export const ipForwardOff: Scenario = {
  decl: variant('ip-forward-off', (d) => {
    d.tweaks = host('node-c', { sysctls: { 'net.ipv4.ip_forward': '0' } });
  }),
  title: 'ip_forward off on the target node',
  node: 'node-c',
  summary:
    'net.ipv4.ip_forward = 0 on node-c: packets from other nodes arriving on vxlan.calico for its pods are dropped (Calico sets forwarding = 1 only on its cali* devices).',
  flows: [
    {
      ...podToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): dropped on node-c',
      expect: { forward: false, reply: false },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'forward',
        evidence: `net.ipv4.conf.${VXLAN_CALICO.replace('.', '/')}.forwarding = 0`,
      },
    },
    works,
  ],
};

/** Docker on node-c: FORWARD policy DROP, and nothing accepts pod traffic. */
export const forwardPolicyDrop: Scenario = {
  decl: variant('forward-policy-drop', (d) => {
    d.dockerNodes = ['node-c'];
  }),
  title: 'FORWARD policy DROP (Docker) on the target node',
  node: 'node-c',
  summary:
    "Docker on node-c set the filter FORWARD policy to DROP; no rule accepts the pods' traffic, so nothing is forwarded to or from web-0.",
  flows: [
    {
      ...podToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): dropped by the FORWARD policy',
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-c', step: 'forward', evidence: ':FORWARD DROP' },
    },
    works,
  ],
};

/** node-a lost its route to node-c's block (BGP/felix route missing): the packet follows the default route to the LAN router, which sends the pool back to node-a. */
export const missingPeerRoute: Scenario = {
  decl: variant('missing-peer-route', (d) => {
    d.routeEdits = [
      { host: 'node-a', from: `10.65.0.128/26 via 10.65.0.128 dev ${VXLAN_CALICO} onlink proto 80`, to: null },
    ];
  }),
  title: "Missing route to a peer's block",
  node: 'node-a',
  summary:
    "node-a has no route for node-c's block 10.65.0.128/26: traffic for web-0 follows node-a's default route to the LAN router, whose route for the pool points back at node-a — a loop until the TTL runs out.",
  flows: [
    {
      ...podToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): loops between node-a and the LAN router',
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'lan-router', step: 'enter', evidence: 'routing loop' },
    },
    works,
  ],
};

/** A blackhole route on node-a for node-c's block (left from when node-a owned it). */
export const blackholePeerBlock: Scenario = {
  decl: variant('blackhole-peer-block', (d) => {
    d.routeEdits = [
      {
        host: 'node-a',
        from: `10.65.0.128/26 via 10.65.0.128 dev ${VXLAN_CALICO} onlink proto 80`,
        to: 'blackhole 10.65.0.128/26 proto 80',
      },
    ];
  }),
  title: 'Blackhole route for a block the node does not own',
  node: 'node-a',
  summary:
    "node-a has `blackhole 10.65.0.128/26 proto 80` for node-c's block (the BlockAffinity says node-c): everything node-a's pods send to web-0 is discarded.",
  flows: [
    {
      ...podToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): blackholed on node-a',
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-a', step: 'route', evidence: 'blackhole 10.65.0.128/26' },
    },
    works,
  ],
};
