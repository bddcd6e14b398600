// An overlay cluster: three nodes on one LAN, two VXLAN overlays side by side, and a LAN host.
// The random knobs are the ones that break real clusters: rp_filter per device (the VXLAN devices
// included), ip_forward, removed or wrong routes (a remote block routed to the wrong VTEP, a pod's
// /32 gone, a block with no route), a missing fdb entry or neighbour on a VXLAN device, and
// netfilter (MASQUERADE, SNAT, DNAT, DROP, REJECT, FORWARD policy DROP, the VXLAN port dropped).
// Half the scenarios are calm (no broken routes, fdb or neighbours, no DROP/REJECT, forwarding
// on, rp_filter off or loose), so the healthy path is exercised as much as the broken ones.
// Multi-NIC knobs (apart, in multiNicKnobs): node2 has a second NIC on the same switch in a second
// subnet (192.168.20.12/24), which the others reach by an on-link route; the cluster may know
// node2 by either address (its peers' fdb entries, felix's allow-list), and node2's vxlan.calico is
// created with `local` on either NIC, bound to eth1 with no `local`, or with neither. With felix's
// allow-list rule on (INPUT drops VXLAN from sources outside cali40all-vxlan-net) a source that is
// not the registered address is dropped (issue #10 item 3). node2 has arp_ignore = 1 (a NIC
// answers ARP only for its own address), so which NIC receives is decided, not ARP flux.
//
//   LAN 192.168.10.0/24 (bridge on host "sw"): lan .1 (the nodes' default gateway, a LAN PC or,
//   with ip_forward on, the LAN router), node1 .11, node2 .12, node3 .13; on the same switch
//   192.168.20.0/24: node2 eth1 .12 (everyone else: `192.168.20.0/24 dev eth0 scope link`)
//   Calico VXLAN (felix's vxlan.calico: VNI 4096, port 4789; pool 10.244.0.0/16, one /26 block per
//   node, VTEP address = the block's first address, `BLOCK via VTEP dev vxlan.calico onlink`, a
//   permanent neighbour and a `self permanent` fdb entry per peer, a blackhole for the node's own
//   block): pods ca1 10.244.1.10 (node1), ca2 10.244.2.10 (node2), ca3 10.244.3.10 (node3), each
//   on a cali* veth with proxy_arp and a /32 route, default via 169.254.1.1 in the pod.
//   flannel VXLAN (flannel.1: VNI 1, port 8472; network 10.245.0.0/16, /24 per node on cni0):
//   pods fa1 10.245.1.10 (node1), fa2 10.245.2.10 (node2).
// References: projectcalico/calico felix/dataplane/linux/vxlan_mgr.go (device, routes, ARP and
// FDB entries), cni-plugin dataplane_linux.go (pods); flannel-io/flannel pkg/backend/vxlan.
import {
  bridgePod,
  calicoPod,
  flannelVxlan,
  lanSegment,
  mergeLabs,
  node,
  lanHost,
  host,
  vethName,
} from '../harness/index.ts';
import type { Lab } from '../harness/index.ts';
import { chance, pick } from './routed.ts';
import type { FlowSpec, Rand, Scenario } from './routed.ts';

export interface OverlayNode {
  name: string;
  ip: string;
  /** Calico block (/26) and its VTEP address (vxlan.calico's /32). */
  block: string;
  vtep: string;
  vtepMac: string;
  /** flannel subnet (/24 on cni0) and flannel.1's MAC. */
  subnet: string;
  flannelMac: string;
}

export const NODES: readonly OverlayNode[] = [
  {
    name: 'node1',
    ip: '192.168.10.11',
    block: '10.244.1.0/26',
    vtep: '10.244.1.0',
    vtepMac: '66:00:00:00:01:01',
    subnet: '10.245.1.0/24',
    flannelMac: '0a:58:00:00:01:01',
  },
  {
    name: 'node2',
    ip: '192.168.10.12',
    block: '10.244.2.0/26',
    vtep: '10.244.2.0',
    vtepMac: '66:00:00:00:02:01',
    subnet: '10.245.2.0/24',
    flannelMac: '0a:58:00:00:02:01',
  },
  {
    name: 'node3',
    ip: '192.168.10.13',
    block: '10.244.3.0/26',
    vtep: '10.244.3.0',
    vtepMac: '66:00:00:00:03:01',
    subnet: '10.245.3.0/24',
    flannelMac: '0a:58:00:00:03:01',
  },
];

export const LAN_IP = '192.168.10.1';
/** node2's second NIC, on the same switch in a second subnet. */
export const NODE2_SECOND_IP = '192.168.20.12';
/** The VXLAN devices' MTU (1500 underlay - 50), which the CNIs give the pods' veths too. */
const POD_MTU = 1450;
const SECOND_SUBNET = '192.168.20.0/24';

interface OverlayPod {
  name: string;
  node: string;
  ip: string;
  style: 'calico' | 'flannel';
  /** Node-side device. */
  hostIf: string;
}

export const PODS: readonly OverlayPod[] = [
  // Calico names the veth after "<namespace>.<pod>" (the engine finds a pod's device that way too).
  { name: 'ca1', node: 'node1', ip: '10.244.1.10', style: 'calico', hostIf: vethName('cali', 'default.ca1') },
  { name: 'ca2', node: 'node2', ip: '10.244.2.10', style: 'calico', hostIf: vethName('cali', 'default.ca2') },
  { name: 'ca3', node: 'node3', ip: '10.244.3.10', style: 'calico', hostIf: vethName('cali', 'default.ca3') },
  { name: 'fa1', node: 'node1', ip: '10.245.1.10', style: 'flannel', hostIf: vethName('veth', 'fa1') },
  { name: 'fa2', node: 'node2', ip: '10.245.2.10', style: 'flannel', hostIf: vethName('veth', 'fa2') },
];

/** Namespace of the pods as the engine knows them (`default/ca1` is lab host ca1). */
export const POD_NAMESPACE = 'default';
const CALICO_VNI = 4096;
const CALICO_PORT = 4789;
const FLANNEL_PORT = 8472;

function calicoRoute(to: OverlayNode, via: string): string[] {
  return [to.block, 'via', via, 'dev', 'vxlan.calico', 'onlink'];
}

function gw(cidr: string): string {
  const [a, b, c] = cidr.split('.');
  return `${a}.${b}.${c}.1`;
}

/** Calico's VXLAN dataplane on every node (what felix's vxlan manager programs). */
function calicoVxlan(): Lab {
  return mergeLabs(
    ...NODES.map((n) =>
      host(n.name, {
        devices: [
          {
            kind: 'vxlan',
            name: 'vxlan.calico',
            vni: CALICO_VNI,
            local: n.ip,
            dev: 'eth0',
            dstport: CALICO_PORT,
            mac: n.vtepMac,
            mtu: 1450,
          },
        ],
        addresses: [`${n.vtep}/32 dev vxlan.calico`],
        routes: [
          `blackhole ${n.block} proto 80`,
          ...NODES.filter((p) => p !== n).map((p) => calicoRoute(p, p.vtep).join(' ')),
        ],
        neighbors: NODES.filter((p) => p !== n).map(
          (p) => `${p.vtep} lladdr ${p.vtepMac} dev vxlan.calico nud permanent`,
        ),
        fdb: NODES.filter((p) => p !== n).map((p) => `${p.vtepMac} dev vxlan.calico dst ${p.ip} self permanent`),
      }),
    ),
  );
}

const ON_LINK = `${SECOND_SUBNET} dev eth0 scope link`;

export const OVERLAY: Lab = mergeLabs(
  lanHost('lan', { routes: [`10.244.0.0/15 via ${NODES[0]!.ip}`, ON_LINK] }),
  ...NODES.map((n) =>
    node(n.name, {
      routes: [`default via ${LAN_IP} dev eth0`, ...(n.name !== 'node2' ? [ON_LINK] : [])],
      ...(n.name === 'node2' ? { sysctls: { 'net.ipv4.conf.all.arp_ignore': '1' } } : {}),
    }),
  ),
  lanSegment('sw', [
    { host: 'lan', dev: 'eth0', addr: `${LAN_IP}/24` },
    ...NODES.map((n) => ({ host: n.name, dev: 'eth0', addr: `${n.ip}/24` })),
    { host: 'node2', dev: 'eth1', addr: `${NODE2_SECOND_IP}/24` },
  ]),
  calicoVxlan(),
  flannelVxlan(
    NODES.map((n) => ({ host: n.name, underlayIp: n.ip, underlayDev: 'eth0', podCidr: n.subnet, mac: n.flannelMac })),
    { port: FLANNEL_PORT },
  ),
  // Pods at the tunnel's MTU, as the CNIs set them (Calico's veth_mtu, flannel's FLANNEL_MTU).
  ...PODS.map((p) =>
    p.style === 'calico'
      ? calicoPod({ name: p.name, node: p.node, ip: p.ip, hostIf: p.hostIf, mtu: POD_MTU })
      : bridgePod({
          name: p.name,
          node: p.node,
          addr: `${p.ip}/24`,
          gateway: `${gw(p.ip)}/24`,
          hostIf: p.hostIf,
          mtu: POD_MTU,
        }),
  ),
);

/** The cluster's nodes (their conntrack is flushed between scenarios: they NAT). */
export const OVERLAY_NODES = NODES.map((n) => n.name);

/**
 * Hosts the engine gets a probe of: every host whose state the lab knows except the pods (a
 * cluster's pods are endpoints on their node, not probed). The LAN host is probed for every flow,
 * not only when it is a sender or receiver: it is also the nodes' default gateway, so a node
 * that lost a pod route hands the packet to it, and the comparison must walk that packet on the
 * LAN host's real routes and ip_forward rather than stop at "leaves toward a host netcheck did
 * not probe" (an abstention, which the strict comparison counts as a disagreement). Modelling
 * it as an external endpoint only for the flows where it never acts as a gateway would need the
 * engine's walk to know that in advance; the external-endpoint path is covered by the incident
 * tests (test/lab/incidents), which check what netcheck says about unprobed hosts. The switch
 * "sw" is probed too: a bridge without addresses, it must not change any verdict.
 */
export const OVERLAY_PROBED = [...OVERLAY_NODES, 'lan', 'sw'];

function nodeOf(name: string): OverlayNode {
  return NODES.find((n) => n.name === name)!;
}

/** A knob that breaks things: never in a calm scenario. */
function breaks(r: Rand, calm: boolean, p: number): boolean {
  return !calm && chance(r, p);
}

/** felix's allow-list of VXLAN sources and its rule (cali-INPUT: "Drop IPv4 VXLAN packets from non-allowed hosts"). */
const ALLOW_LIST = 'cali40all-vxlan-net';

function iptablesFor(r: Rand, n: OverlayNode, summary: string[], calm: boolean, allowList: boolean): string {
  const filter: string[] = [];
  const nat: string[] = [];
  const add = (table: string[], rule: string) => {
    table.push(rule);
    summary.push(`${n.name}: ${rule}`);
  };
  if (allowList) filter.push(`-A INPUT -p udp --dport ${CALICO_PORT} -m set ! --match-set ${ALLOW_LIST} src -j DROP`);
  let forwardPolicy = 'ACCEPT';
  if (breaks(r, calm, 0.12)) {
    // kube-proxy/Docker style: FORWARD DROP, with (or without) the accept rules for the pod networks.
    forwardPolicy = 'DROP';
    summary.push(`${n.name}: FORWARD policy DROP`);
    if (chance(r, 0.5)) add(filter, '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
    if (chance(r, 0.6)) add(filter, '-A FORWARD -s 10.244.0.0/15 -j ACCEPT');
    if (chance(r, 0.6)) add(filter, '-A FORWARD -d 10.244.0.0/15 -j ACCEPT');
  }
  if (breaks(r, calm, 0.1)) add(filter, `-A FORWARD -d ${pick(r, PODS).ip} -j ${pick(r, ['DROP', 'REJECT'])}`);
  if (breaks(r, calm, 0.06))
    add(
      filter,
      `-A FORWARD -i ${pick(r, ['vxlan.calico', 'flannel.1', 'eth0'])} -p ${pick(r, ['udp', 'tcp', 'icmp'])} -j DROP`,
    );
  if (breaks(r, calm, 0.06)) add(filter, `-A INPUT -p udp --dport ${pick(r, [CALICO_PORT, FLANNEL_PORT])} -j DROP`);
  if (breaks(r, calm, 0.04)) add(filter, `-A OUTPUT -p udp --dport ${pick(r, [CALICO_PORT, FLANNEL_PORT])} -j DROP`);
  if (breaks(r, calm, 0.05)) add(filter, `-A INPUT -s ${LAN_IP} -p icmp -j REJECT --reject-with icmp-host-prohibited`);

  // Calico natOutgoing and flannel's ip-masq rules, or a MASQUERADE that should not be there.
  if (chance(r, 0.35)) add(nat, '-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/15 -j MASQUERADE');
  if (chance(r, 0.3)) {
    add(nat, '-A POSTROUTING -s 10.245.0.0/16 -d 10.245.0.0/16 -j RETURN');
    add(nat, '-A POSTROUTING -s 10.245.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE');
  }
  if (breaks(r, calm, 0.08)) add(nat, `-A POSTROUTING -o ${pick(r, ['vxlan.calico', 'flannel.1'])} -j MASQUERADE`);
  if (chance(r, 0.06)) add(nat, `-A POSTROUTING -o eth0 -s 10.244.0.0/15 -j SNAT --to-source ${n.ip}`);
  // A NodePort-like DNAT: the node's address on port 7777 to a pod.
  if (chance(r, 0.25))
    add(
      nat,
      `-A PREROUTING -d ${n.ip} -p ${pick(r, ['udp', 'tcp'])} --dport 7777 -j DNAT --to-destination ${pick(r, PODS).ip}`,
    );
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${forwardPolicy} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ...filter,
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}

export function overlayScenario(r: Rand, seed: number): Scenario {
  const summary: string[] = [];
  const commands: Scenario['commands'] = [];
  const sh = (h: string, ...argv: string[]) => commands.push({ host: h, argv });
  const maybe = (h: string, ...argv: string[]) => commands.push({ host: h, argv, mayFail: true });
  const calm = chance(r, 0.5);
  if (calm)
    summary.push('calm: no broken routes, fdb or neighbours, no DROP/REJECT, forwarding on, rp_filter off or loose');
  const nic = multiNicKnobs(r, commands, summary);

  // Reset the overlay's routes, neighbours and fdb entries, then break some.
  for (const n of NODES) {
    for (const p of NODES) {
      if (p === n) continue;
      sh(n.name, 'ip', 'route', 'replace', ...calicoRoute(p, p.vtep));
      sh(n.name, 'ip', 'route', 'replace', p.subnet, 'via', p.subnet.replace('/24', ''), 'dev', 'flannel.1', 'onlink');
      sh(n.name, 'ip', 'neigh', 'replace', p.vtep, 'lladdr', p.vtepMac, 'dev', 'vxlan.calico', 'nud', 'permanent');
      sh(
        n.name,
        'ip',
        'neigh',
        'replace',
        p.subnet.replace('/24', ''),
        'lladdr',
        p.flannelMac,
        'dev',
        'flannel.1',
        'nud',
        'permanent',
      );
      const dst = registered(p, nic);
      sh(n.name, 'bridge', 'fdb', 'replace', p.vtepMac, 'dev', 'vxlan.calico', 'dst', dst, 'self', 'permanent');
      sh(n.name, 'bridge', 'fdb', 'replace', p.flannelMac, 'dev', 'flannel.1', 'dst', dst, 'self', 'permanent');
    }
  }
  for (const p of PODS)
    if (p.style === 'calico') sh(p.node, 'ip', 'route', 'replace', p.ip, 'dev', p.hostIf, 'scope', 'link');

  for (const n of NODES) {
    for (const p of NODES) {
      if (p === n) continue;
      const v = calm ? 1 : r();
      if (v < 0.04) {
        maybe(n.name, 'ip', 'route', 'del', p.block);
        summary.push(`${n.name}: no route to ${p.block}`);
      } else if (v < 0.09) {
        const wrong = pick(r, [...NODES.filter((x) => x !== p && x !== n).map((x) => x.vtep), '10.244.9.0']);
        sh(n.name, 'ip', 'route', 'replace', ...calicoRoute(p, wrong));
        summary.push(`${n.name}: ${p.block} via wrong VTEP ${wrong}`);
      } else if (v < 0.12) {
        maybe(n.name, 'bridge', 'fdb', 'del', p.vtepMac, 'dev', 'vxlan.calico', 'dst', registered(p, nic));
        summary.push(`${n.name}: no fdb entry for ${p.name}'s vxlan.calico`);
      } else if (v < 0.14) {
        maybe(n.name, 'ip', 'neigh', 'del', p.vtep, 'dev', 'vxlan.calico');
        summary.push(`${n.name}: no neighbour for ${p.vtep} on vxlan.calico`);
      }
      const w = calm ? 1 : r();
      if (w < 0.04) {
        maybe(n.name, 'ip', 'route', 'del', p.subnet);
        summary.push(`${n.name}: no route to ${p.subnet}`);
      } else if (w < 0.07) {
        maybe(n.name, 'bridge', 'fdb', 'del', p.flannelMac, 'dev', 'flannel.1', 'dst', registered(p, nic));
        summary.push(`${n.name}: no fdb entry for ${p.name}'s flannel.1`);
      }
    }
  }
  for (const p of PODS) {
    if (p.style === 'calico' && breaks(r, calm, 0.05)) {
      maybe(p.node, 'ip', 'route', 'del', p.ip);
      summary.push(`${p.node}: no route to pod ${p.name}`);
    }
  }
  // The LAN reaches the pod networks through one node (the --via of a flow from it).
  const entry = pick(r, NODES);
  sh('lan', 'ip', 'route', 'replace', '10.244.0.0/15', 'via', entry.ip);
  summary.push(`lan: 10.244.0.0/15 via ${entry.name}`);
  // The nodes' default gateway as a LAN PC (drops what is not for it) or as the LAN router
  // (forwards what it routes: the Calico pool back to the entry node, which may be the sender,
  // a loop; nothing for flannel's network). It sends no redirects (the harness's baseline
  // send_redirects = 0), so a forward back out of eth0 changes no node's later paths.
  const lanFwd = chance(r, 0.5) ? '1' : '0';
  sh('lan', 'sysctl', '-qw', `net.ipv4.ip_forward=${lanFwd}`);
  summary.push(`lan: ip_forward=${lanFwd}`);

  // Sysctls: rp_filter per device and all, ip_forward.
  for (const n of NODES) {
    const devs = [
      'eth0',
      'vxlan.calico',
      'flannel.1',
      ...PODS.filter((p) => p.node === n.name).map((p) => p.hostIf),
      ...(PODS.some((p) => p.node === n.name && p.style === 'flannel') ? ['cni0'] : []),
    ];
    // Strict rp_filter on node2's second NIC would make it deaf to ARP from the first subnet
    // (arp_process validates the sender's address by route), which netcheck does not model.
    const secondNic = n.name === 'node2';
    if (secondNic) devs.push('eth1');
    const all = pick(r, calm || secondNic ? ['0', '0', '2'] : ['0', '0', '1', '2']);
    sh(n.name, 'sysctl', '-qw', `net.ipv4.conf.all.rp_filter=${all}`);
    const set: string[] = [];
    for (const d of devs) {
      const v = pick(r, calm || (secondNic && d === 'eth1') ? ['0', '0', '2'] : ['0', '0', '1', '2']);
      // sysctl(8) takes '/' for a dot inside a device name.
      sh(n.name, 'sysctl', '-qw', `net.ipv4.conf.${d.replace('.', '/')}.rp_filter=${v}`);
      if (v !== '0') set.push(`${d}=${v}`);
    }
    summary.push(`${n.name}: rp_filter all=${all} ${set.join(' ')}`);
    const fwd = calm || chance(r, 0.9) ? '1' : '0';
    sh(n.name, 'sysctl', '-qw', `net.ipv4.ip_forward=${fwd}`);
    if (fwd === '0') summary.push(`${n.name}: ip_forward=0`);
    commands.push({
      host: n.name,
      argv: ['iptables-nft-restore'],
      input: iptablesFor(r, n, summary, calm, nic.allowList),
    });
  }

  const flows: FlowSpec[] = [];
  for (let i = 0; i < 4; i++) {
    const proto = pick(r, ['udp', 'udp', 'udp', 'tcp', 'icmp'] as const);
    const kind = pick(r, ['pod-pod', 'pod-pod', 'lan-pod', 'pod-lan', 'lan-node']);
    if (kind === 'pod-pod') {
      const a = pick(r, PODS);
      const b = pick(
        r,
        PODS.filter((p) => p.node !== a.node),
      );
      flows.push({ from: a.name, dst: b.ip, proto });
    } else if (kind === 'lan-pod') flows.push({ from: 'lan', dst: pick(r, PODS).ip, proto });
    else if (kind === 'pod-lan') flows.push({ from: pick(r, PODS).name, dst: LAN_IP, proto });
    else flows.push({ from: 'lan', dst: pick(r, [...NODES.map((n) => n.ip), NODE2_SECOND_IP]), proto });
  }
  // The neighbour entries a running cluster has for node2's second address (netcheck sees node2
  // there by them; without one it cannot tell who answers ARP on that subnet, and says so).
  // Flushed first: an entry left by an earlier scenario may hold the MAC of a NIC that no longer
  // answers for the address (node2's NICs are recreated, arp_ignore changes), and a ping over it
  // can still succeed while the unicast re-probes fail, so the entry reads FAILED seconds later
  // (neigh_timer_handler, NUD_PROBE → NUD_FAILED) although the next packet resolves it anew.
  for (const h of ['node1', 'node3', 'lan']) {
    commands.push({ host: h, argv: ['ip', 'neigh', 'flush', 'to', NODE2_SECOND_IP], mayFail: true, settle: true });
    commands.push({ host: h, argv: ['ping', '-c', '1', '-W', '1', NODE2_SECOND_IP], mayFail: true, settle: true });
  }
  return {
    seed,
    commands,
    flows,
    summary,
    pods: PODS.map((p) => ({ name: `${POD_NAMESPACE}/${p.name}`, ip: p.ip, node: nodeOf(p.node).name })),
  };
}

interface MultiNic {
  /** The address the cluster knows node2 by (its peers' fdb entries, the allow-list). */
  node2Address: string;
  /** felix's allow-list rule on every node. */
  allowList: boolean;
}

/** The underlay address the cluster knows a node by. */
function registered(n: OverlayNode, nic: MultiNic): string {
  return n.name === 'node2' ? nic.node2Address : n.ip;
}

/**
 * node2's registered address, the way its vxlan.calico is created (recreated each scenario,
 * before the routes, neighbours and fdb entries that live on it are restored), and felix's
 * allow-list. The kernel's rule (test/lab/tunnel-outer-rule.test.ts): `local` is the source;
 * without it the route to the peer picks it, whatever `dev` says, since Calico's fdb entries
 * carry no `via`.
 */
function multiNicKnobs(r: Rand, commands: Scenario['commands'], summary: string[]): MultiNic {
  const n2 = nodeOf('node2');
  const node2Address = pick(r, [n2.ip, n2.ip, NODE2_SECOND_IP]);
  const device = pick(r, [
    ['local', n2.ip, 'dev', 'eth0'],
    ['local', n2.ip, 'dev', 'eth0'],
    ['local', NODE2_SECOND_IP, 'dev', 'eth1'],
    ['dev', 'eth1'],
    [],
  ]);
  const allowList = chance(r, 0.5);
  const sh = (h: string, ...argv: string[]) => commands.push({ host: h, argv });
  commands.push({ host: 'node2', argv: ['ip', 'link', 'del', 'vxlan.calico'], mayFail: true });
  sh(
    'node2',
    'ip',
    'link',
    'add',
    'vxlan.calico',
    'address',
    n2.vtepMac,
    'mtu',
    '1450',
    'type',
    'vxlan',
    'id',
    String(CALICO_VNI),
    'dstport',
    String(CALICO_PORT),
    'nolearning',
    ...device,
  );
  sh('node2', 'ip', 'addr', 'add', `${n2.vtep}/32`, 'dev', 'vxlan.calico');
  sh('node2', 'ip', 'link', 'set', 'vxlan.calico', 'up');
  for (const n of NODES) {
    sh(n.name, 'ipset', 'create', '-exist', ALLOW_LIST, 'hash:net');
    sh(n.name, 'ipset', 'flush', ALLOW_LIST);
    for (const p of NODES) sh(n.name, 'ipset', 'add', ALLOW_LIST, registered(p, { node2Address, allowList }));
  }
  summary.push(
    `node2 known as ${node2Address}; its vxlan.calico: ${device.join(' ') || 'no local, no dev'}; allow-list rule ${allowList ? 'on' : 'off'}`,
  );
  return { node2Address, allowList };
}
