// kube-proxy IPVS mode's iptables and ipset part for every Service feature, from the real
// iptables-nft-save and ipset save of test/fixtures/kube-proxy-ipvs/ (README there): what reaches
// LOCAL_IN (where IPVS takes it) and with which mark, or where it is dropped. The IPVS part and the
// kernel's answer are in test/lab/kube-proxy-ipvs.test.ts.
import { ipsets, ruleset } from './helpers.ts';
import { host } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';
import { packetTable } from './packet-table.ts';

const VIPS = [...Array.from({ length: 9 }, (_, i) => `10.96.0.${11 + i}`), '192.168.99.22', '5.6.7.8', '1.2.3.4'];
const NODE = host({
  addrs: {
    eth0: ['192.168.0.2'],
    cni0: ['10.0.0.1'],
    lo: ['127.0.0.1', '192.168.1.2', '192.168.1.5'],
    'kube-ipvs0': VIPS,
  },
  sets: ipsets('kube-proxy-ipvs/ipset-save.txt'),
});
const LAN = { in: 'eth0' } as const;
const POD = { in: 'cni0' } as const;

const ROWS: FlowRow[] = [
  {
    name: 'ClusterIP from a pod: accepted, not marked',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.11', dport: 80 },
    want: '',
    masq: false,
    rule: /KUBE-CLUSTER-IP dst,dst -j ACCEPT/,
  },
  {
    name: 'ClusterIP from the LAN: marked (! -s 10.0.0.0/8)',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '10.96.0.11', dport: 80 },
    want: '',
    masq: true,
  },
  {
    name: 'another port of a ClusterIP: not in KUBE-CLUSTER-IP',
    ...POD,
    packet: { src: '10.0.0.2', dst: '10.96.0.11', dport: 81 },
    want: '',
    masq: false,
  },
  {
    name: 'NodePort Cluster: KUBE-NODE-PORT-TCP marks',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30001 },
    want: '',
    masq: true,
  },
  {
    name: 'NodePort Local: KUBE-NODE-PORT-LOCAL-TCP returns unmarked',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.0.2', dport: 30002 },
    want: '',
    masq: false,
  },
  {
    name: 'LB Cluster inside the source ranges: marked for masquerade',
    ...LAN,
    packet: { src: '203.0.113.2', dst: '5.6.7.8', dport: 80 },
    want: '',
    masq: true,
  },
  {
    name: 'LB Cluster outside the ranges: dropped in INPUT',
    ...LAN,
    packet: { src: '203.0.113.130', dst: '5.6.7.8', dport: 80 },
    want: 'DROP',
    rule: /dropping marked packets/,
  },
  {
    name: 'LB Local inside the ranges: KUBE-LOAD-BALANCER-LOCAL returns unmarked',
    ...LAN,
    packet: { src: '203.0.113.2', dst: '1.2.3.4', dport: 80 },
    want: '',
    masq: false,
  },
  {
    name: 'LB Local from a pod outside the ranges: dropped',
    ...POD,
    packet: { src: '10.0.0.2', dst: '1.2.3.4', dport: 80 },
    want: 'DROP',
  },
  {
    name: 'externalIP from the LAN: marked and accepted',
    ...LAN,
    packet: { src: '192.168.0.50', dst: '192.168.99.22', dport: 80 },
    want: '',
    masq: true,
    rule: /physdev ! --physdev-is-in/,
  },
  {
    name: 'externalIP from a bridged pod: marked, past the physdev rule, accepted by policy',
    ...POD,
    bridgePort: 'veth-pod',
    packet: { src: '10.0.0.2', dst: '192.168.99.22', dport: 80 },
    want: '',
    masq: true,
  },
];

packetTable(
  'kube-proxy IPVS mode (iptables + ipset)',
  [ruleset('kube-proxy-ipvs/iptables-nft-save.txt', 'nft')],
  NODE,
  ROWS,
);
