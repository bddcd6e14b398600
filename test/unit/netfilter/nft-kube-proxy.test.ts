// kube-proxy's nftables mode, evaluated: the ruleset of kubernetes/kubernetes
// pkg/proxy/nftables/proxier_test.go TestOverallNFTablesRules (commit 030880a5), loaded into a
// namespace with `nft -f` and dumped with `nft -j list ruleset` (test/fixtures/capture-netfilter.sh).
// The rows follow that file's runPacketFlowTests cases (TestClusterIPGeneral, TestLoadBalancer,
// TestNoEndpointsReject) on this ruleset's Services; the node is 192.168.0.2 (also .1.2 and
// 192.168.99.11), pods are 10.0.0.0/8.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { fixture, host } from './helpers.ts';
import { type FlowRow, mismatches, packetTable } from './packet-table.ts';

const parsed = parseNftJson(fixture('netfilter/output/kube-proxy-nftables.nft.json'));
const nft = parsed.value;
const env = host({ addrs: { eth0: ['192.168.0.2', '192.168.1.2', '192.168.99.11'], lo: ['127.0.0.1'] } });

const rows: FlowRow[] = [
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

test('kube-proxy nftables fixture parses without warnings', () => {
  assert.deepEqual(parsed.warnings, []);
});

packetTable('kube-proxy nftables mode', [], env, rows, nft);

test('without the nft ruleset the same packets pass untranslated (the rows above depend on it)', () => {
  const m = mismatches([], env, rows[0]!);
  assert.ok(m.length > 0);
});
