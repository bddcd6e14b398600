// Packet tables over native nftables rulesets, shared by the unit tests (the engine) and the lab
// test (the kernel, test/lab/nft-rules.test.ts).
import { hookInput } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';

/**
 * kube-proxy nftables mode, test/fixtures/netfilter/input/kube-proxy-nftables.nft (kubernetes
 * pkg/proxy/nftables/proxier_test.go TestOverallNFTablesRules): node 192.168.0.2 (and
 * 192.168.1.2), pods 10.0.0.0/8 behind cni0, endpoints 10.180.0.x.
 */
export const KUBE_PROXY_NFT_ROWS: FlowRow[] = [
  {
    name: 'pod to ClusterIP',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41', dport: 80 },
    want: '10.180.0.1:80',
    masq: false,
    rule: /dnat to 10\.180\.0\.1:80 # handle/,
  },
  {
    name: 'hairpin to ClusterIP is masqueraded',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.180.0.1', dst: '172.30.0.41', dport: 80 },
    want: '10.180.0.1:80',
    masq: true,
  },
  {
    name: 'external client to ClusterIP is masqueraded',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.2', dst: '172.30.0.41', dport: 80 },
    want: '10.180.0.1:80',
    masq: true,
  },
  {
    name: 'two endpoints: one branch each',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.44', dport: 80 },
    want: '10.180.0.4:80, 10.180.0.5:80',
    branch: /numgen random mod 2 = [01]/,
  },
  {
    name: 'Service without endpoints is rejected',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.46', dport: 80 },
    want: 'REJECT',
    rule: /^reject # handle \d+$/,
  },
  {
    name: 'unallocated ClusterIP is dropped',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.50', dport: 80 },
    want: 'DROP',
    rule: /ip daddr 172\.30\.0\.0\/16 drop/,
  },
  {
    name: 'ClusterIP on a port it does not serve is rejected',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41', dport: 443 },
    want: 'REJECT',
    rule: /ip daddr @cluster-ips reject/,
  },
  {
    name: 'UDP to a TCP-only ClusterIP is rejected',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41', proto: 'udp', dport: 80 },
    want: 'REJECT',
  },
  {
    name: 'ping to a ClusterIP is rejected',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41', proto: 'icmp', icmpType: 8 },
    want: 'REJECT',
  },
  {
    name: 'external to NodePort',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 3003 },
    want: '10.180.0.3:80',
    masq: true,
  },
  {
    name: 'NodePort of a Local Service without local endpoints is dropped',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 3001 },
    want: 'DROP',
    rule: /vmap @no-endpoint-nodeports/,
  },
  {
    name: 'LoadBalancer IP from an allowed source',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.2', dst: '5.6.7.8', dport: 80 },
    want: '10.180.0.3:80',
    masq: true,
    branch: /affinity-GTK6MW7G.* as collected/,
  },
  {
    name: 'LoadBalancer IP from outside loadBalancerSourceRanges is dropped',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.130', dst: '5.6.7.8', dport: 80 },
    want: 'DROP',
    rule: /ip saddr != 203\.0\.113\.0\/25 drop/,
  },
  {
    name: 'ExternalIP: both endpoints, masqueraded',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.2', dst: '192.168.99.33', dport: 80 },
    want: '10.180.0.4:80, 10.180.0.5:80',
    masq: true,
  },
  {
    name: 'the node itself to a ClusterIP',
    out: 'eth0',
    packet: { src: '192.168.0.2', dst: '172.30.0.41', dport: 80 },
    want: '10.180.0.1:80',
  },
  {
    name: 'traffic to no Service passes untouched',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '10.0.0.3', dport: 80 },
    want: '',
  },
];

/** The lab node's firewalld (public zone: eth0, default zone), pods 10.0.0.0/8 behind cni0. */
export const FIREWALLD_PUBLIC_ROWS: FlowRow[] = [
  {
    name: 'outside to a pod: forwarding rejected',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '10.0.0.2', dport: 8080 },
    want: 'REJECT',
    rule: /reject with icmpx admin-prohibited/,
  },
  {
    name: 'pod to the LAN',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '192.168.0.50', dport: 443 },
    want: '',
  },
  { name: 'ssh to the node', in: 'eth0', packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 22 }, want: '' },
  {
    name: 'kubelet port of the node: rejected',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 10250 },
    want: 'REJECT',
  },
];

/** The same with the pod network (10.0.0.0/8 here) in zone trusted. */
export const FIREWALLD_TRUSTED_ROWS: FlowRow[] = [
  {
    name: 'pod to the node (trusted source)',
    in: 'cni0',
    packet: { src: '10.0.0.2', dst: '192.168.0.2', dport: 10250 },
    want: '',
  },
  {
    name: 'outside to a pod: still rejected (ingress zone public)',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '10.0.0.2', dport: 8080 },
    want: 'REJECT',
  },
  {
    name: 'pod to the LAN',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '192.168.0.50', dport: 443 },
    want: '',
  },
];

/** Host-side interfaces of the Calico node's pods (felix-nft.ts LAB_WORKLOADS). */
export const CALICO_IFACES = { client: 'cali56a6d256ab4', web: 'cali0d7763386da', other: 'calidf753b51110' };

/** client-0 → web-0 on a port default/web-8080 does not admit, as FORWARD sees it. */
export const CALICO_DENIED_FORWARD = hookInput({
  hook: 'FORWARD',
  in: CALICO_IFACES.client,
  out: CALICO_IFACES.web,
  packet: { src: '192.168.7.1', dst: '192.168.7.2', dport: 9090 },
});

const END_OF_TIER = /End of tier default\. Drop if no policies passed packet/;
const POLICY_ACCEPTED = /Policy explicitly accepted packet/;

/**
 * Calico's nftables dataplane: felix's real table (input/calico-nftables.nft) with the lab's
 * workloads and NetworkPolicy default/web-8080 (web-0 admits TCP 8080 only) added as felix writes
 * them. Node 10.128.0.212 on eth0, LAN host 10.128.0.1, pods client-0 192.168.7.1, web-0
 * 192.168.7.2, other-0 192.168.7.3 (IPPool 192.168.0.0/16, natOutgoing).
 */
export const CALICO_NFT_ROWS: FlowRow[] = [
  {
    name: 'pod to pod admitted by the policy',
    in: CALICO_IFACES.client,
    out: CALICO_IFACES.web,
    packet: { src: '192.168.7.1', dst: '192.168.7.2', dport: 8080 },
    want: '',
    rule: POLICY_ACCEPTED,
  },
  {
    name: 'pod to pod on a port the policy does not admit: end of tier',
    in: CALICO_IFACES.client,
    out: CALICO_IFACES.web,
    packet: { src: '192.168.7.1', dst: '192.168.7.2', dport: 9090 },
    want: 'DROP',
    rule: END_OF_TIER,
  },
  {
    name: 'pod to a pod no policy selects: the namespace profile admits',
    in: CALICO_IFACES.client,
    out: CALICO_IFACES.other,
    packet: { src: '192.168.7.1', dst: '192.168.7.3', dport: 9090 },
    want: '',
    rule: POLICY_ACCEPTED,
  },
  {
    name: 'the selected pod calling out (no egress policy)',
    in: CALICO_IFACES.web,
    out: CALICO_IFACES.client,
    packet: { src: '192.168.7.2', dst: '192.168.7.1', dport: 80 },
    want: '',
  },
  {
    name: 'LAN host to the selected pod on the admitted port',
    in: 'eth0',
    out: CALICO_IFACES.web,
    packet: { src: '10.128.0.1', dst: '192.168.7.2', dport: 8080 },
    want: '',
  },
  {
    name: 'LAN host to the selected pod on another port',
    in: 'eth0',
    out: CALICO_IFACES.web,
    packet: { src: '10.128.0.1', dst: '192.168.7.2', dport: 22 },
    want: 'DROP',
    rule: END_OF_TIER,
  },
  {
    name: 'pod to the LAN: natOutgoing masquerades',
    in: CALICO_IFACES.client,
    out: 'eth0',
    packet: { src: '192.168.7.1', dst: '10.128.0.1', dport: 80 },
    want: '',
    masq: true,
  },
  {
    name: 'pod to its node (DefaultEndpointToHostAction accept)',
    in: CALICO_IFACES.client,
    packet: { src: '192.168.7.1', dst: '10.128.0.212', dport: 22 },
    want: '',
    rule: /Configured DefaultEndpointToHostAction/,
  },
  {
    name: 'a pod sending from an address not routed to it: the RPF check drops',
    in: CALICO_IFACES.client,
    out: CALICO_IFACES.web,
    packet: { src: '192.168.7.99', dst: '192.168.7.2', dport: 8080 },
    want: 'DROP',
    rule: /fib saddr \. mark \. iif oif 0/,
  },
  {
    name: 'VXLAN from a pod is dropped',
    in: CALICO_IFACES.client,
    out: 'eth0',
    packet: { src: '192.168.7.1', dst: '10.128.0.1', proto: 'udp', dport: 4789 },
    want: 'DROP',
    rule: /Drop VXLAN encapped packets originating in workloads/,
  },
];

/**
 * fib and meta pkttype (input/nft-fib-pkttype.nft) on the lab node of nft-rules.test.ts: eth0
 * 192.168.0.2/24 (default route via the LAN host), lo 192.168.1.2, cni0 10.0.0.1/8; the LAN host
 * also sends from 10.99.0.1, which the node routes to cni0.
 */
export const FIB_PKTTYPE_ROWS: FlowRow[] = [
  {
    name: 'the reverse path of a LAN source is eth0, where it came in',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 80 },
    want: '',
  },
  {
    name: 'a source the node routes to cni0, arriving on eth0: fib saddr . iif oif missing',
    in: 'eth0',
    packet: { src: '10.99.0.1', dst: '192.168.0.2', dport: 80 },
    want: 'DROP',
    rule: /fib saddr \. iif oif missing/,
  },
  {
    name: 'a unicast packet is meta pkttype host',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 8081 },
    want: 'DROP',
    rule: /meta pkttype host/,
  },
  {
    name: 'forwarded to a pod: fib daddr oifname "cni0"',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '10.0.0.2', dport: 8082 },
    want: 'DROP',
    rule: /fib daddr oifname "cni0"/,
  },
  {
    name: 'forwarded to the LAN: the route leaves by eth0',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '203.0.113.2', dport: 8082 },
    want: '',
  },
  {
    name: 'fib daddr oif exists: a routed destination',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '203.0.113.2', dport: 8083 },
    want: 'DROP',
    rule: /fib daddr oif exists/,
  },
  {
    name: 'forwarded to a pod: no socket, so meta skuid 0 breaks the rule',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '10.0.0.2', dport: 8085 },
    want: '',
  },
  {
    name: 'forwarded to a pod: no socket, so meta skuid != 0 breaks the rule too',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '10.0.0.2', dport: 8086 },
    want: '',
  },
  {
    name: 'broadcast echo request: meta pkttype broadcast',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '255.255.255.255', proto: 'icmp', icmpType: 8 },
    want: 'DROP',
    rule: /meta pkttype broadcast/,
  },
  {
    name: 'all-hosts echo request: meta pkttype multicast',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '224.0.0.1', proto: 'icmp', icmpType: 8 },
    want: 'DROP',
    rule: /meta pkttype multicast/,
  },
  {
    name: "the node sending from lo's address out of eth0: not local on eth0",
    out: 'eth0',
    packet: { src: '192.168.1.2', dst: '192.168.0.50', dport: 8084 },
    want: 'DROP',
    rule: /fib saddr \. oif type != local/,
  },
  {
    name: "the node sending from eth0's own address",
    out: 'eth0',
    packet: { src: '192.168.0.2', dst: '192.168.0.50', dport: 8084 },
    want: '',
  },
];
