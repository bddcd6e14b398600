// Node-originated flows (issue #12): a packet a node sends itself is routed for its original
// destination first (ip_route_output), then nat OUTPUT may DNAT it (kube-proxy's service portals)
// and it is routed again (ip_route_me_harder). So the first lookup must succeed for a ClusterIP,
// whose only route on a node is normally the default one, and it picks the source address.
// Both faults are on the healthy Calico VXLAN cluster, with one more Service: `client`
// (10.96.33.3, udp/8080, one endpoint: client-0 on node-a), so a Service flow has one branch.
import { CLIENT_SERVICE, calicoHealthy } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';

const CLIENT_SVC = CLIENT_SERVICE.clusterIP;

function withClientService(name: string): ClusterDecl {
  const d = calicoHealthy();
  d.name = name;
  d.services.push(CLIENT_SERVICE);
  return d;
}

const podToService = (from: string, seenSrc: string): FlowCase => ({
  label: `${from} → Service client (${CLIENT_SVC}): works, as pods' packets are DNATed before routing`,
  from,
  dst: CLIENT_SVC,
  proto: 'udp',
  dport: 8080,
  expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc },
});

/** node-c has no default route (a static network config that forgot the gateway). */
const noDefault = withClientService('node-no-default-route');
noDefault.routeEdits = [{ host: 'node-c', from: 'default via 192.168.1.1 dev eth0', to: null }];

export const nodeNoDefaultRoute: Scenario = {
  decl: noDefault,
  title: 'A node without a default route cannot reach a ClusterIP',
  node: 'node-c',
  summary:
    "node-c has no default route. A packet node-c sends itself to the ClusterIP 10.96.33.3 is routed for that address before nat OUTPUT rewrites it, and nothing routes 10.96.0.0/12 there: the send fails (network unreachable). node-c still reaches pods (their routes are the CNI's) and the LAN (the connected route). Its own pods are cut off too, on Calico: they reach the node through proxy ARP for their gateway 169.254.1.1, which the kernel answers only for an address it routes.",
  flows: [
    {
      label: 'node-c → Service client (10.96.33.3): no route for the ClusterIP before DNAT',
      from: 'node-c',
      dst: CLIENT_SVC,
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-c', step: 'route', evidence: CLIENT_SVC },
    },
    {
      label: "web-0 (node-c) → Service client: node-c's pods are cut off too (no proxy ARP answer for 169.254.1.1)",
      from: 'web-0',
      dst: CLIENT_SVC,
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-c', step: 'neighbor', evidence: 'proxy_arp' },
    },
    {
      label: 'node-c → client-0 (node-a): works, over the CNI route',
      from: 'node-c',
      dst: '10.65.0.2',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0' },
    },
    {
      label: 'node-c → LAN host: works, over the connected route',
      from: 'node-c',
      dst: '192.168.1.50',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'lan-pc', seenSrc: '192.168.1.13' },
    },
  ],
};

/**
 * node-b has a second NIC on a storage network, configured 10.10.0.12/8 instead of /24: its
 * connected route 10.0.0.0/8 now covers the Service network, so node-b's first lookup for a
 * ClusterIP leaves by eth1 and gives the packet eth1's address. DNAT then sends it to client-0,
 * but with kube-proxy not masquerading ClusterIP traffic (no --cluster-cidr) client-0 answers
 * 10.10.0.12, which node-a routes to the LAN router: the answer never comes back.
 */
const slashEight = withClientService('host-netmask-swallows-services');
slashEight.segments.push({ name: 'storage', cidr: '10.10.0.0/24' });
slashEight.nodes.find((n) => n.name === 'node-b')!.nics.push({ dev: 'eth1', addr: '10.10.0.12/8', segment: 'storage' });
slashEight.kubeProxyNoClusterCidr = true;

export const hostNetmaskSwallowsServices: Scenario = {
  decl: slashEight,
  title: 'A mistyped /8 netmask on a host interface swallows the Service network for the node',
  node: 'node-b',
  summary:
    "node-b's storage NIC eth1 has 10.10.0.12/8 (meant /24): the connected route 10.0.0.0/8 dev eth1 covers the Service network 10.96.0.0/12, so a packet node-b sends to a ClusterIP is routed out eth1 and takes 10.10.0.12 as its source before DNAT; kube-proxy (no --cluster-cidr) does not masquerade it, and the backend's answer to 10.10.0.12 goes to the LAN router and is lost. Pods on node-b are not affected.",
  flows: [
    {
      label: 'node-b → Service client (10.96.33.3): leaves with 10.10.0.12, the answer is lost',
      from: 'node-b',
      dst: CLIENT_SVC,
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: false, receivedBy: 'client-0', seenSrc: '10.10.0.12' },
      decisive: { direction: 'forward', node: 'node-b', step: 'route', evidence: '10.0.0.0/8 dev eth1' },
    },
    podToService('web-1', '10.65.0.66'),
  ],
};
