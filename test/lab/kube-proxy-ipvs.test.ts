// kube-proxy IPVS mode, every Service feature (test/fixtures/kube-proxy-ipvs/README.md): its
// ipsets and iptables rules loaded into a real node namespace with `ipset restore` and
// iptables-nft-restore, the Service addresses bound on kube-ipvs0, and its virtual servers given
// to the engine as `ipvsadm -S -n` text (this kernel has no ip_vs: the real kube-proxy falls back
// to iptables mode here, test/fixtures/kube-proxy/v1.20.2-ipvs-mode-without-ip_vs.txt).
//
// Each row is walked by the engine from the node as the real probe reads it, and checked against
// what the row says (the real server(s), masquerade or not, or the drop/reject). The same packet
// is sent through the kernel, which has every part but IPVS: it must reach LOCAL_IN on the node
// (where ip_vs_in takes it) exactly when the engine's walk reaches IPVS, and be dropped where the
// engine drops it in iptables.
//
//   lan 192.168.0.50 (+ 203.0.113.2, 203.0.113.130) ── eth0 node 192.168.0.2 (192.168.1.2, .5 on lo)
//                                    kube-ipvs0: the Services' addresses; cni0 10.0.0.1/8 ── pod 10.0.0.2, ep1..ep5 10.180.0.1..5
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/fixtures.ts';
import type { World } from '../../src/engine/world.ts';
import { bridgePod, lanHost, link, mergeLabs, node, withLab, vethName } from './harness/index.ts';
import type { Lab } from './harness/index.ts';
import { probedWorld, walkTcp } from './engine-rows.ts';

const IPSETS = fixture('kube-proxy-ipvs/ipset-restore.txt');
const RULES = fixture('kube-proxy-ipvs/iptables-restore.txt');
const IPVSADM = fixture('kube-proxy-ipvs/ipvsadm-S.txt');

const ENDPOINTS = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4', '10.180.0.5'];
const LAN_EXTRA = ['203.0.113.2', '203.0.113.130'];
/** Every address kube-proxy binds on kube-ipvs0: ClusterIPs, the externalIP, the LB addresses. */
const VIPS = [...Array.from({ length: 9 }, (_, i) => `10.96.0.${11 + i}`), '192.168.99.22', '5.6.7.8', '1.2.3.4'];
const PODS = [
  { name: 'pod', ip: '10.0.0.2', node: 'node' },
  ...ENDPOINTS.map((ip, i) => ({ name: `ep${i + 1}`, ip, node: 'node' })),
];
const SERVICE_ROUTE = { routes: ['10.96.0.0/16 via 10.0.0.1 dev eth0'] };

const topology: Lab = mergeLabs(
  node('node', {
    addresses: ['192.168.1.2/32 dev lo', '192.168.1.5/32 dev lo'],
    routes: ['default via 192.168.0.50 dev eth0'],
    // kube-ipvs0 is a dummy device kube-proxy leaves down; this kernel has no dummy driver, so a
    // bridge without ports, also down, holds the addresses (local routes all the same).
    commands: [
      ['ip', 'link', 'add', 'kube-ipvs0', 'type', 'bridge'],
      ...VIPS.map((v) => ['ip', 'addr', 'add', `${v}/32`, 'dev', 'kube-ipvs0']),
      ...ENDPOINTS.map((_, i) => ['bridge', 'link', 'set', 'dev', vethName('veth', `ep${i + 1}`), 'hairpin', 'on']),
    ],
  }),
  lanHost('lan', {
    addresses: LAN_EXTRA.map((a) => `${a}/32 dev lo`),
    routes: ['default via 192.168.0.2 dev eth0'],
  }),
  link({ host: 'lan', dev: 'eth0', addr: '192.168.0.50/24' }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
  bridgePod({ name: 'pod', node: 'node', addr: '10.0.0.2/8', gateway: '10.0.0.1/8', pod: SERVICE_ROUTE }),
  ...ENDPOINTS.map((ip, i) =>
    bridgePod({ name: `ep${i + 1}`, node: 'node', addr: `${ip}/8`, gateway: '10.0.0.1/8', pod: SERVICE_ROUTE }),
  ),
);

interface IpvsRow {
  name: string;
  from: string;
  src: string;
  dst: string;
  dport: number;
  /** The endpoints (lab hosts) the engine delivers to, or the verdict. */
  want: string[] | 'dropped' | 'rejected';
  /** Seen from a node address (masqueraded) rather than the client's. */
  masq?: boolean;
  /** Something every branch must say. */
  branch?: RegExp;
}

const ROWS: IpvsRow[] = [
  {
    name: 'ClusterIP from a pod',
    from: 'pod',
    src: '10.0.0.2',
    dst: '10.96.0.11',
    dport: 80,
    want: ['ep1', 'ep2'],
    masq: false,
  },
  {
    name: 'ClusterIP from the LAN: KUBE-CLUSTER-IP dst,dst ! -s 10.0.0.0/8 marks it',
    from: 'lan',
    src: '192.168.0.50',
    dst: '10.96.0.11',
    dport: 80,
    want: ['ep1', 'ep2'],
    masq: true,
  },
  {
    name: 'hairpin: KUBE-LOOP-BACK dst,dst,src masquerades the endpoint reaching itself',
    from: 'ep4',
    src: '10.180.0.4',
    dst: '10.96.0.15',
    dport: 80,
    want: ['ep4'],
    masq: true,
  },
  {
    name: 'ClusterIP without endpoints: a virtual server without real servers',
    from: 'pod',
    src: '10.0.0.2',
    dst: '10.96.0.19',
    dport: 80,
    want: 'rejected',
  },
  {
    name: 'NodePort Cluster: KUBE-NODE-PORT-TCP marks it',
    from: 'lan',
    src: '192.168.0.50',
    dst: '192.168.0.2',
    dport: 30001,
    want: ['ep1', 'ep2'],
    masq: true,
  },
  {
    name: 'NodePort Local: KUBE-NODE-PORT-LOCAL-TCP returns first, the local endpoint only, client kept',
    from: 'lan',
    src: '192.168.0.50',
    dst: '192.168.0.2',
    dport: 30002,
    want: ['ep3'],
    masq: false,
  },
  {
    name: 'NodePort Local without a local endpoint: no real server on this node',
    from: 'lan',
    src: '192.168.0.50',
    dst: '192.168.0.2',
    dport: 30003,
    want: 'rejected',
  },
  {
    name: 'LoadBalancer Cluster from inside the source ranges (KUBE-LOAD-BALANCER-SOURCE-CIDR dst,dst,src)',
    from: 'lan',
    src: '203.0.113.2',
    dst: '5.6.7.8',
    dport: 80,
    want: ['ep4'],
    masq: true,
  },
  {
    name: "LoadBalancer Cluster from outside: KUBE-MARK-DROP, the kubelet's filter KUBE-FIREWALL drops it",
    from: 'lan',
    src: '203.0.113.130',
    dst: '5.6.7.8',
    dport: 80,
    want: 'dropped',
  },
  {
    name: 'LoadBalancer Local from inside the ranges: KUBE-LOAD-BALANCER-LOCAL returns, client kept',
    from: 'lan',
    src: '203.0.113.2',
    dst: '1.2.3.4',
    dport: 80,
    want: ['ep5'],
    masq: false,
  },
  {
    name: 'LoadBalancer Local from outside the ranges',
    from: 'lan',
    src: '203.0.113.130',
    dst: '1.2.3.4',
    dport: 80,
    want: 'dropped',
  },
  {
    name: 'LoadBalancer from a pod outside the ranges: dropped too (no cluster-CIDR bypass in IPVS mode)',
    from: 'pod',
    src: '10.0.0.2',
    dst: '1.2.3.4',
    dport: 80,
    want: 'dropped',
  },
  {
    name: 'externalIP from the LAN: KUBE-EXTERNAL-IP marks it',
    from: 'lan',
    src: '192.168.0.50',
    dst: '192.168.99.22',
    dport: 80,
    want: ['ep4', 'ep5'],
    masq: true,
  },
  {
    name: 'externalIP from a bridged pod: the physdev ACCEPT does not match, IPVS still takes it at LOCAL_IN',
    from: 'pod',
    src: '10.0.0.2',
    dst: '192.168.99.22',
    dport: 80,
    want: ['ep4', 'ep5'],
    masq: true,
  },
  {
    name: 'sessionAffinity ClientIP: a persistent virtual server (-p 10800), the client taken as new',
    from: 'lan',
    src: '192.168.0.50',
    dst: '10.96.0.18',
    dport: 80,
    want: ['ep3', 'ep4'],
    masq: true,
    branch: /persistent \(-p 10800.*taken as a new client/,
  },
  {
    name: 'NodePort without endpoints',
    from: 'lan',
    src: '192.168.0.50',
    dst: '192.168.0.2',
    dport: 30009,
    want: 'rejected',
  },
];

/** What the engine's walk gets wrong about a row; and whether it reaches IPVS. */
function engine(w: World, row: IpvsRow): { problems: string[]; reachedIpvs: boolean } {
  const { branches, said } = walkTcp(w, row.from, row.src, row.dst, row.dport);
  const problems: string[] = [];
  if (Array.isArray(row.want)) {
    const to = branches.map((b) => b.to ?? b.verdict);
    if ([...new Set(to)].sort().join(',') !== [...row.want].sort().join(','))
      problems.push(`delivered to ${to.join(', ')}, want ${row.want.join(', ')}`);
    for (const b of branches) {
      const masq = b.seenSrc !== undefined && b.seenSrc !== row.src;
      if (row.masq !== undefined && b.verdict === 'delivered' && masq !== row.masq)
        problems.push(`seen from ${b.seenSrc}, want ${row.masq ? 'masqueraded' : row.src}`);
      if (row.branch !== undefined && !b.conditions.some((c) => row.branch!.test(c)))
        problems.push(`no branch says ${row.branch}: ${b.conditions.join('; ')}`);
    }
  } else if (!branches.every((b) => b.verdict === row.want)) problems.push(`want ${row.want}`);
  if (problems.length > 0) problems.push(`engine: ${said}`);
  return { problems, reachedIpvs: branches.some((b) => b.ipvs) };
}

test('kube-proxy IPVS mode: the engine walks every feature, and the kernel agrees up to IPVS', (t) =>
  withLab(t, topology, { prefix: 'kpipvs' }, async (lab) => {
    const sets = await lab.exec('node', ['ipset', 'restore'], { input: IPSETS });
    assert.equal(sets.code, 0, sets.stderr);
    const rules = await lab.exec('node', ['iptables-nft-restore'], { input: RULES });
    assert.equal(rules.code, 0, rules.stderr);
    // The node as the probe reads it, with the virtual servers kube-proxy would have made.
    const w = await probedWorld(lab, ['node', 'lan'], PODS, (host, e) => {
      if (host !== 'node') return;
      e.sections['ipvsadm'] = IPVSADM;
      delete e.errors['ipvsadm'];
    });
    const failures: string[] = [];
    for (const row of ROWS) {
      const e = engine(w, row);
      failures.push(...e.problems.map((p) => `${row.name} (engine): ${p}`));
      await lab.exec('node', ['conntrack', '-F']);
      const s = await lab.send({
        from: row.from,
        dst: row.dst,
        proto: 'tcp',
        dport: row.dport,
        ...(row.from === 'lan' ? { srcAddr: row.src } : {}),
        listen: [row.dport],
      });
      const atNode = s.forwardDelivered && s.receivedBy === 'node';
      if (atNode !== e.reachedIpvs)
        failures.push(
          `${row.name} (kernel): delivered=${s.forwardDelivered} to ${s.receivedBy ?? '-'}; the engine ${e.reachedIpvs ? 'reaches' : 'does not reach'} IPVS on the node`,
        );
    }
    t.diagnostic(`${ROWS.length} rows walked by the engine and sent through the kernel (up to IPVS)`);
    assert.deepEqual(failures, []);
  }));
