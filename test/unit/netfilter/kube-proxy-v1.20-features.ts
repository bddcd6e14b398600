// Every Service feature kube-proxy v1.20 has, in the rules the real kube-proxy v1.20.2 wrote
// (test/fixtures/kube-proxy/README.md: v1.20.2-iptables-features-*), and a table of packets with
// what each one meets, as kube-proxy's runPacketFlowTests writes its expectations. The unit test
// walks the table in the engine; test/lab/kube-proxy-rules.test.ts replays the same files with
// iptables-restore into its node namespace (the one the capture stood for: eth0 192.168.0.2/24,
// 192.168.1.2 and 192.168.1.5 on lo, pods 10.0.0.0/8 on the cni0 bridge) and sends the rows.
// The Services (test/e2e-real/kube-proxy-features.ts), all port 80 → 80:
//   clusterip 10.96.0.11 → .1, .2        np-cluster 10.96.0.12 NodePort 30001 → .1, .2
//   np-local 10.96.0.13 NodePort 30002 externalTrafficPolicy Local → .3 (here), 10.99.0.3 (node-b)
//   np-local-remote 10.96.0.14 NodePort 30003 Local → 10.99.0.4 (node-b only)
//   lb-cluster 10.96.0.15 LB 5.6.7.8 NodePort 30005 sourceRanges 203.0.113.0/25 → .4
//   lb-local 10.96.0.16 LB 1.2.3.4 NodePort 30006 Local, sourceRanges 203.0.113.0/25 → .5 (here), 10.99.0.5
//   external-ip 10.96.0.17 externalIPs 192.168.99.22 → .4, .5
//   affinity 10.96.0.18 sessionAffinity ClientIP 10800 s → .3, .4
//   no-endpoints 10.96.0.19 NodePort 30009, no endpoints
// (".N" is 10.180.0.N, an endpoint on this node's cni0.) internalTrafficPolicy is 1.21+ and has
// no rules here.
import { fixture } from '../../helpers/fixtures.ts';
import { host } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';

export const FEATURES_FILE = 'kube-proxy/v1.20.2-iptables-features-node-a.txt';
export const NPA_FILE = 'kube-proxy/v1.20.2-iptables-features-nodeport-addresses-node-a.txt';
export const FEATURES_TEXT = fixture(FEATURES_FILE);
export const NPA_TEXT = fixture(NPA_FILE);

export const FEATURES_NODE = host({
  addrs: {
    eth0: ['192.168.0.2'],
    cni0: ['10.0.0.1'],
    lo: ['127.0.0.1', '192.168.1.2', '192.168.1.5'],
  },
});

const POD = { in: 'cni0', out: 'cni0' } as const;
const LAN = { in: 'eth0', out: 'cni0' } as const;
const AFFINITY = /xt_recent list KUBE-SEP-(54NWTLHMDZZYR3VI|T6DY43W3EDW6REFV): .* taken as not listed/;

export const FEATURES_ROWS: FlowRow[] = [
  {
    name: 'ClusterIP from a pod: either endpoint, not masqueraded',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.11', dport: 80 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: false,
  },
  {
    name: 'ClusterIP from outside the cluster CIDR: masqueraded (! -s 10.0.0.0/8 in KUBE-SERVICES)',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '10.96.0.11', dport: 80 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: true,
  },
  {
    name: 'hairpin: the endpoint reaches itself through its Service, masqueraded by its KUBE-SEP rule',
    ...POD,
    packet: { src: '10.180.0.4', dst: '10.96.0.15', dport: 80 },
    want: '10.180.0.4:80',
    masq: true,
    rule: /-j DNAT --to-destination 10\.180\.0\.4:80/,
  },
  {
    name: 'ClusterIP without endpoints: REJECT in filter KUBE-SERVICES',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.19', dport: 80 },
    want: 'REJECT',
    rule: /no-endpoints:http has no endpoints/,
  },
  {
    name: 'NodePort without endpoints: REJECT in KUBE-EXTERNAL-SERVICES (INPUT)',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30009 },
    want: 'REJECT',
    rule: /--dst-type LOCAL -m tcp --dport 30009 -j REJECT/,
  },
  {
    name: 'NodePort, externalTrafficPolicy Cluster: either endpoint, masqueraded',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30001 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: true,
  },
  {
    name: 'NodePort on another local address (lo 192.168.1.2): --dst-type LOCAL takes every one',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.1.2', dport: 30001 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: true,
  },
  {
    name: 'NodePort on localhost from the node: route_localnet NodePort, masqueraded',
    out: 'lo',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 30001 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: true,
  },
  {
    name: 'NodePort, externalTrafficPolicy Local: only the local endpoint, client address kept',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30002 },
    want: '10.180.0.3:80',
    masq: false,
    rule: /-j DNAT --to-destination 10\.180\.0\.3:80/,
  },
  {
    name: 'NodePort Local from a pod: KUBE-XLB sends the cluster CIDR to the Service chain (every endpoint)',
    ...POD,
    packet: { src: '10.0.0.2', dst: '192.168.0.2', dport: 30002 },
    want: '10.180.0.3:80, 10.99.0.3:80',
    masq: false,
  },
  {
    name: 'NodePort Local on localhost: masqueraded (-s 127.0.0.0/8), --src-type LOCAL → every endpoint',
    out: 'lo',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 30002 },
    want: '10.180.0.3:80, 10.99.0.3:80',
    masq: true,
  },
  {
    name: "NodePort Local without a local endpoint: KUBE-MARK-DROP, dropped by the kubelet's KUBE-FIREWALL in INPUT",
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30003 },
    want: 'DROP',
    rule: /kubernetes firewall for dropping marked packets/,
  },
  {
    name: 'LoadBalancer Cluster from inside loadBalancerSourceRanges: DNAT, masqueraded (KUBE-FW marks first)',
    ...LAN,
    packet: { src: '203.0.113.2', dst: '5.6.7.8', dport: 80 },
    want: '10.180.0.4:80',
    masq: true,
  },
  {
    // The kubelet's KUBE-FIREWALL (which drops the 0x8000 mark) is on INPUT and OUTPUT only:
    // a load balancer address the node does not own goes to FORWARD, where nothing drops it.
    name: "LoadBalancer Cluster from outside the source ranges, LB IP not the node's: marked for drop, forwarded untranslated",
    ...LAN,
    packet: { src: '203.0.113.130', dst: '5.6.7.8', dport: 80 },
    want: '',
    masq: true,
  },
  {
    name: 'LoadBalancer Local from inside the source ranges: the local endpoint, client address kept',
    ...LAN,
    packet: { src: '203.0.113.2', dst: '1.2.3.4', dport: 80 },
    want: '10.180.0.5:80',
    masq: false,
  },
  {
    name: 'LoadBalancer Local from outside the source ranges: marked for drop, forwarded untranslated',
    ...LAN,
    packet: { src: '203.0.113.130', dst: '1.2.3.4', dport: 80 },
    want: '',
    masq: false,
  },
  {
    name: 'LoadBalancer Local from a pod: KUBE-FW comes before KUBE-XLB, the pod is outside the ranges',
    ...POD,
    packet: { src: '10.0.0.2', dst: '1.2.3.4', dport: 80 },
    want: '',
  },
  {
    name: "the LB's NodePort bypasses the source ranges (KUBE-NODEPORTS has no KUBE-FW)",
    ...LAN,
    packet: { src: '203.0.113.130', dst: '192.168.0.2', dport: 30006 },
    want: '10.180.0.5:80',
    masq: false,
  },
  {
    name: 'externalIP from the LAN: either endpoint, masqueraded',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.99.22', dport: 80 },
    want: '10.180.0.4:80, 10.180.0.5:80',
    masq: true,
  },
  {
    name: 'externalIP from a pod on a routed veth (no bridge): DNAT',
    in: 'veth-routed',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '192.168.99.22', dport: 80 },
    want: '10.180.0.4:80, 10.180.0.5:80',
  },
  {
    // kube-proxy < 1.22: `-m physdev ! --physdev-is-in` keeps bridged traffic off the externalIP
    // (docs/incidents.md #4); only a node-local externalIP would take the --dst-type LOCAL rule.
    name: 'externalIP from a pod behind a bridge with br_netfilter: not translated',
    ...POD,
    bridgePort: 'veth-pod',
    packet: { src: '10.0.0.2', dst: '192.168.99.22', dport: 80 },
    want: '',
  },
  {
    name: 'externalIP from the node itself: --src-type LOCAL excluded, the IP not local: not translated',
    out: 'eth0',
    packet: { src: '192.168.0.2', dst: '192.168.99.22', dport: 80 },
    want: '',
  },
  {
    name: 'sessionAffinity ClientIP, a new client: either endpoint, the lists taken as empty',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.18', dport: 80 },
    want: '10.180.0.3:80, 10.180.0.4:80',
    branch: AFFINITY,
  },
  {
    name: 'another port of a ClusterIP: nothing matches, forwarded untranslated',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.11', dport: 81 },
    want: '',
  },
];

/** The same Services with --nodeport-addresses=192.168.1.0/24: NodePorts on 192.168.1.2 and .5 only. */
export const NPA_ROWS: FlowRow[] = [
  {
    name: '--nodeport-addresses: a NodePort on an address in the range',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.1.5', dport: 30001 },
    want: '10.180.0.1:80, 10.180.0.2:80',
    masq: true,
  },
  {
    name: "--nodeport-addresses: eth0's address is outside the range: delivered to the node untranslated",
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30001 },
    want: '',
  },
  {
    name: '--nodeport-addresses: no NodePort on localhost either',
    out: 'lo',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 30001 },
    want: '',
  },
  {
    name: '--nodeport-addresses: the REJECT of a NodePort without endpoints still matches any local address',
    in: 'eth0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30009 },
    want: 'REJECT',
  },
];
