// kube-proxy's rules for every Service feature, and a table of packets with what each one meets:
// its verdict, endpoint(s) and deciding rule. The unit test (kube-proxy-services.test.ts) walks
// the table in the engine; the lab test (test/lab/kube-proxy-rules.test.ts) sends it through the kernel.
//
// The ruleset is kube-proxy's own text: the iptables-restore input that TestOverallIPTablesRules
// expects (kubernetes pkg/proxy/iptables/proxier_test.go of the v1.30 line: nfacct counters in
// KUBE-FORWARD and KUBE-NODEPORTS, KUBE-EXT/KUBE-FW chains, KUBE-PROXY-FIREWALL), verbatim,
// with the jumps from the built-in chains that kube-proxy adds separately (proxier.go
// iptablesJumpChains, and the kubelet's KUBE-FIREWALL jumps) in front. Its Services:
//   svc1 ClusterIP 172.30.0.41 → 10.180.0.1;  svc2 LoadBalancer 1.2.3.4, externalIP 192.168.99.22,
//   NodePort 3001, externalTrafficPolicy Local, its only endpoint 10.180.0.2 on another node;
//   svc3 NodePort 3003 → 10.180.0.3;  svc4 externalIP 192.168.99.33 → 10.180.0.4, 10.180.0.5;
//   svc5 LoadBalancer 5.6.7.8, NodePort 3002, sourceRanges 203.0.113.0/25, sessionAffinity
//   ClientIP (10800 s) → 10.180.0.3;  svc6 ClusterIP 172.30.0.46 without endpoints.
// Cluster CIDR 10.0.0.0/8; this node is 192.168.0.2 (proxier_test.go testNodeIP).
import { iptablesSave } from '../../helpers/iptables-inline.ts';
import { host } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';

const JUMPS = `
  -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
  -A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
  -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
  -A INPUT -j KUBE-FIREWALL
  -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
  -A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
  -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
  -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
  -A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A OUTPUT -j KUBE-FIREWALL
`;

const NAT_JUMPS = `
  -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
`;

export const V130_TEXT = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-EXTERNAL-SERVICES - [0:0]
  :KUBE-FIREWALL - [0:0]
  :KUBE-FORWARD - [0:0]
  :KUBE-PROXY-FIREWALL - [0:0]
  ${JUMPS}
  -A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
  -A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
  -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
  -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
  -A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
  -A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
  -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  -A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
  COMMIT
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
  :KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
  :KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
  :KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
  :KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
  :KUBE-MARK-MASQ - [0:0]
  :KUBE-POSTROUTING - [0:0]
  :KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
  :KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
  :KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
  :KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
  :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
  :KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
  :KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
  :KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
  :KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
  :KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
  :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
  ${NAT_JUMPS}
  -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
  -A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
  -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
  -A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
  -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
  -A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
  -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
  -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
  -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
  -A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
  -A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
  -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
  -A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
  -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
  -A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
  -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
  -A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
  -A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
  -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
  -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
  -A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
  -A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
  -A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
  -A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
  -A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
  -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
  -A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
  -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
  -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
  -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
  -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
  -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
  -A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
  -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
  -A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
  -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
  -A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
  -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
  -A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
  -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
  -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
  -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
  -A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
  -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
  -A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
  -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
  -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
  -A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
  -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
  -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
  COMMIT
`;
export const v130 = iptablesSave(V130_TEXT);

export const V130_NODE = host({ addrs: { eth0: ['192.168.0.2'], cni0: ['10.0.0.1'], lo: ['127.0.0.1'] } });
const AFFINITY = /xt_recent list KUBE-SEP-I77PXRDZVX7PMWMN: .* taken as not listed/;

export const V130_ROWS: FlowRow[] = [
  {
    name: 'pod → ClusterIP: DNAT to the endpoint, no masquerade',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41' },
    want: '10.180.0.1:80',
    masq: false,
    rule: /KUBE-SEP-SXIVWICOYRO3J4NJ .* DNAT --to-destination 10\.180\.0\.1:80/,
  },
  {
    name: 'hairpin: the endpoint to its own ClusterIP is masqueraded (KUBE-SEP -s itself)',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.180.0.1', dst: '172.30.0.41' },
    want: '10.180.0.1:80',
    masq: true,
  },
  {
    name: 'ClusterIP with two endpoints: one branch each (statistic)',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '172.30.0.44' },
    want: '10.180.0.4:80, 10.180.0.5:80',
    masq: false,
  },
  {
    name: 'a port the Service does not have is not translated',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.41', dport: 443 },
    want: '',
  },
  {
    name: 'LAN → NodePort (externalTrafficPolicy Cluster): DNAT and masquerade',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 3003 },
    want: '10.180.0.3:80',
    masq: true,
    rule: /KUBE-SEP-OYPFS5VJICHGATKP .* DNAT/,
  },
  {
    name: 'LAN → NodePort of externalTrafficPolicy Local, no endpoint on this node: dropped',
    in: 'eth0',
    packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 3001 },
    want: 'DROP',
    rule: /"ns2\/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL .* --dport 3001 -j DROP/,
  },
  {
    name: 'LAN → externalIP of externalTrafficPolicy Local, no endpoint on this node: dropped',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '192.168.99.22' },
    want: 'DROP',
    rule: /has no local endpoints" -m tcp -p tcp -d 192\.168\.99\.22 --dport 80 -j DROP/,
  },
  {
    name: 'pod → externalIP of externalTrafficPolicy Local: short-circuited to the cluster-wide endpoints',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '192.168.99.22' },
    want: '10.180.0.2:80',
    masq: false,
  },
  {
    name: 'node → LoadBalancer IP of externalTrafficPolicy Local: masqueraded, to any endpoint',
    out: 'cni0',
    packet: { src: '192.168.0.2', dst: '1.2.3.4' },
    want: '10.180.0.2:80',
    masq: true,
  },
  {
    name: 'LAN → NodePort health check port: accepted by the filter',
    in: 'eth0',
    packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 30000 },
    want: '',
    rule: /health check node port" .* -j ACCEPT/,
  },
  {
    name: 'loadBalancerSourceRanges, allowed source: DNAT (session affinity, first packet) and masquerade',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.2', dst: '5.6.7.8' },
    want: '10.180.0.3:80',
    masq: true,
    rule: /-m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set .* DNAT/,
    branch: AFFINITY,
  },
  {
    name: 'loadBalancerSourceRanges, other source: not translated, then dropped by KUBE-PROXY-FIREWALL',
    in: 'eth0',
    out: 'eth0',
    packet: { src: '203.0.113.130', dst: '5.6.7.8' },
    want: 'DROP',
    rule: /traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C/,
  },
  {
    name: 'NodePort bypasses loadBalancerSourceRanges',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '203.0.113.130', dst: '192.168.0.2', dport: 3002 },
    want: '10.180.0.3:80',
    masq: true,
    branch: AFFINITY,
  },
  {
    name: 'sessionAffinity ClientIP, first packet: the --rcheck rule does not match, the endpoint is chosen and listed',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '172.30.0.45' },
    want: '10.180.0.3:80',
    masq: false,
    rule: /-m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set/,
    branch: AFFINITY,
  },
  {
    name: 'ClusterIP without endpoints: rejected by filter KUBE-SERVICES',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.46' },
    want: 'REJECT',
    rule: /"ns6\/svc6:p80 has no endpoints" .* -j REJECT/,
  },
  {
    name: 'node → ClusterIP without endpoints: rejected in OUTPUT',
    out: 'eth0',
    packet: { src: '192.168.0.2', dst: '172.30.0.46' },
    want: 'REJECT',
    rule: /has no endpoints/,
  },
  {
    name: 'node → localhost NodePort: counted by nfacct, DNAT and masquerade',
    out: 'cni0',
    packet: { src: '127.0.0.1', dst: '127.0.0.1', dport: 3003 },
    want: '10.180.0.3:80',
    masq: true,
  },
];

// internalTrafficPolicy Local and --nodeport-addresses, in the shape proxier.go (v1.28+) writes
// them (syncProxyRules: internalTrafficFilterTarget "DROP" with "has no local endpoints" in filter
// KUBE-SERVICES; a KUBE-SVL chain holding only this node's endpoints; one "-d ADDRESS" jump to
// KUBE-NODEPORTS per node-port address instead of "-m addrtype --dst-type LOCAL"); chain names
// hashed as kube-proxy hashes them. svc7 has an endpoint on this node, svc8 has none here;
// NodePorts are served on 192.168.0.2 only, not on the node's second address 192.168.1.2.
export const ITP_TEXT = `
  *filter
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-EXTERNAL-SERVICES - [0:0]
  :KUBE-FIREWALL - [0:0]
  :KUBE-FORWARD - [0:0]
  :KUBE-PROXY-FIREWALL - [0:0]
  ${JUMPS}
  -A KUBE-SERVICES -m comment --comment "ns8/svc8:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.48 --dport 80 -j DROP
  -A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
  -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  COMMIT
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :KUBE-NODEPORTS - [0:0]
  :KUBE-SERVICES - [0:0]
  :KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
  :KUBE-MARK-MASQ - [0:0]
  :KUBE-POSTROUTING - [0:0]
  :KUBE-SEP-HZXTC6EBGJZ64CAL - [0:0]
  :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
  :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
  :KUBE-SVL-KPEMU3PDPRCEMWRI - [0:0]
  ${NAT_JUMPS}
  -A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
  -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
  -A KUBE-SERVICES -m comment --comment "ns7/svc7:p80 cluster IP" -m tcp -p tcp -d 172.30.0.47 --dport 80 -j KUBE-SVL-KPEMU3PDPRCEMWRI
  -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.0.2 -j KUBE-NODEPORTS
  -A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
  -A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
  -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
  -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
  -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
  -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
  -A KUBE-SEP-HZXTC6EBGJZ64CAL -m comment --comment ns7/svc7:p80 -s 10.180.0.7 -j KUBE-MARK-MASQ
  -A KUBE-SEP-HZXTC6EBGJZ64CAL -m comment --comment ns7/svc7:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.7:80
  -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
  -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
  -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
  -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
  -A KUBE-SVL-KPEMU3PDPRCEMWRI -m comment --comment "ns7/svc7:p80 -> 10.180.0.7:80" -j KUBE-SEP-HZXTC6EBGJZ64CAL
  COMMIT
`;
export const itp = iptablesSave(ITP_TEXT);

export const ITP_NODE = host({
  addrs: { eth0: ['192.168.0.2'], eth1: ['192.168.1.2'], cni0: ['10.0.0.1'], lo: ['127.0.0.1'] },
});

export const ITP_ROWS: FlowRow[] = [
  {
    name: 'internalTrafficPolicy Local, endpoint on this node: DNAT to it, no masquerade',
    in: 'cni0',
    out: 'cni0',
    packet: { src: '10.0.0.2', dst: '172.30.0.47' },
    want: '10.180.0.7:80',
    masq: false,
  },
  {
    name: 'internalTrafficPolicy Local, no endpoint on this node: dropped by filter KUBE-SERVICES',
    in: 'cni0',
    out: 'eth0',
    packet: { src: '10.0.0.2', dst: '172.30.0.48' },
    want: 'DROP',
    rule: /"ns8\/svc8:p80 has no local endpoints" .* -j DROP/,
  },
  {
    name: 'NodePort on a --nodeport-addresses address: DNAT and masquerade',
    in: 'eth0',
    out: 'cni0',
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 3001 },
    want: '10.180.0.1:80',
    masq: true,
  },
  {
    name: 'NodePort on the other node address: not a node-port address, not translated',
    in: 'eth1',
    packet: { src: '192.168.1.50', dst: '192.168.1.2', dport: 3001 },
    want: '',
  },
];
