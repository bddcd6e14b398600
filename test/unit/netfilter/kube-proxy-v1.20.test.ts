// The rules the real kube-proxy v1.20.2 wrote on node-a of the lab's healthy Calico cluster
// (test/fixtures/kube-proxy/README.md), walked row by row as kube-proxy's own runPacketFlowTests
// walks its expectations. Its Services: default/web (ClusterIP 10.96.120.15:80 → 10.65.0.66:8080,
// 10.65.0.130:8080) and default/kubernetes without endpoints there; node-a is 192.168.1.11,
// its pods on cali* veths, the cluster CIDR 10.65.0.0/16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { host, ruleset } from './helpers.ts';
import type { FlowRow } from './packet-table.ts';
import { packetTable } from './packet-table.ts';

const real = ruleset('kube-proxy/v1.20.2-iptables-calico-healthy-node-a.txt', 'nft');
const NODE_A = host({ addrs: { eth0: ['192.168.1.11'], 'vxlan.calico': ['10.65.0.1'], lo: ['127.0.0.1'] } });
const WEB = '10.65.0.130:8080, 10.65.0.66:8080';

const ROWS: FlowRow[] = [
  {
    name: 'pod → ClusterIP: DNAT to either endpoint (sorted as strings: .130 first at 0.5), no masquerade',
    in: 'cali56a6d256ab4',
    out: 'vxlan.calico',
    packet: { src: '10.65.0.2', dst: '10.96.120.15', dport: 80 },
    want: WEB,
    masq: false,
    rule: /-j DNAT --to-destination 10\.65\.0\.(130|66):8080/,
  },
  {
    name: 'LAN host → ClusterIP: masqueraded (! -s 10.65.0.0/16 in KUBE-SERVICES, v1.20 shape)',
    in: 'eth0',
    out: 'vxlan.calico',
    packet: { src: '192.168.1.50', dst: '10.96.120.15', dport: 80 },
    want: WEB,
    masq: true,
  },
  {
    name: 'the node itself → ClusterIP: OUTPUT DNAT, masqueraded',
    out: 'vxlan.calico',
    packet: { src: '192.168.1.11', dst: '10.96.120.15', dport: 80 },
    want: WEB,
    masq: true,
  },
  {
    name: 'ClusterIP with no endpoints: REJECT in filter KUBE-SERVICES (only for a NEW connection)',
    in: 'cali56a6d256ab4',
    out: 'eth0',
    packet: { src: '10.65.0.2', dst: '10.96.0.1', dport: 443 },
    want: 'REJECT',
    rule: /default\/kubernetes:https has no endpoints/,
  },
  {
    name: 'another port of the ClusterIP: not translated',
    in: 'cali56a6d256ab4',
    out: 'eth0',
    packet: { src: '10.65.0.2', dst: '10.96.120.15', dport: 81 },
    want: '',
  },
  {
    name: 'a NodePort no Service has: KUBE-NODEPORTS is empty, delivered to the node untranslated',
    in: 'eth0',
    packet: { src: '192.168.1.50', dst: '192.168.1.11', dport: 30080 },
    want: '',
  },
];

packetTable('kube-proxy v1.20.2 (real)', [real], NODE_A, ROWS);

test('kube-proxy v1.20.2 wrote KUBE-MARK-DROP without rules, and nothing jumps to it (the kubelet writes them)', () => {
  const nat = real.tables.get('nat')!;
  assert.deepEqual(nat.chains.get('KUBE-MARK-DROP')?.rules, []);
  const jumps = [...real.tables.values()].flatMap((t) =>
    [...t.chains.values()].flatMap((c) => c.rules.filter((r) => r.raw.includes('KUBE-MARK-DROP'))),
  );
  assert.deepEqual(jumps, []);
});
