// Generates an N-node cluster snapshot, one host entry at a time (a 1,000-node cluster does not fit
// in one string): kube-proxy in iptables mode with S Services × E endpoints on every node, Calico
// VXLAN, as in the real capture examples/kubeadm-calico-vxlan.json (kubeadm, Calico 3.x, node-a is
// the template of every node: its sections are rewritten, never hand-written).
// What differs per node, as on a real cluster:
//  - addresses: node IP 172.16.0.0/16 + 10 + i, its own Calico /26 block 10.65.0.0 + 64 i, VTEP MAC;
//  - per-node routes, neighbours and fdb entries to every other node's block (Calico's vxlan.calico
//    routes, felix programs N-1 of each);
//  - iptables rule counters (a per-node pseudo-random sequence, most rules at [0:0]);
//  - every 10th NodePort Service is externalTrafficPolicy: Local: kube-proxy's KUBE-EXT chain jumps
//    to a KUBE-SVL chain listing only this node's endpoints (pkg/proxy/iptables/proxier.go,
//    syncProxyRules, "localPolicyChain"), or, with none here, the filter-table DROP "has no local
//    endpoints" rule in KUBE-EXTERNAL-SERVICES.
// Everything else (the Service chains, Calico's chains and ipsets, sysctls, the CNI file) is the
// same text on every node, as kube-proxy and felix write it.
import { readFileSync } from 'node:fs';
import type { HostEntry, KubeObject, Snapshot } from '../../src/snapshot/types.ts';
import { generateKubeProxyRuleset } from './kube-proxy-ruleset.ts';
import { mergeInto, type SaveTable, SharedSave, splitSave } from './save-tables.ts';

const TEMPLATE = new URL('../../examples/kubeadm-calico-vxlan.json', import.meta.url);
const T_NODE = 'node-a';
const T_IP = '192.168.1.11';
const T_VTEP = '10.65.0.0';
const T_MAC = '66:8e:3a:1c:0a:11';

export interface ClusterShape {
  nodes: number;
  services: number;
  endpointsPerService: number;
}

export interface GeneratedCluster {
  /** The snapshot without hosts (objects, capturedAt). */
  head: Omit<Snapshot, 'hosts'>;
  names: string[];
  /** Node i's entry, built on demand (each call builds it anew). */
  host(i: number): HostEntry;
}

const dotted = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
export const nodeIp = (i: number): string => dotted(((172 << 24) | (16 << 16)) + 10 + i);
export const block = (i: number): string => dotted(((10 << 24) | (65 << 16)) + 64 * i);
export const vtepMac = (i: number): string =>
  `66:8e:3a:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
export const nodeName = (i: number): string => `node-${String(i).padStart(4, '0')}`;

/** A NodePort Service made externalTrafficPolicy: Local, with its endpoints' SEP jumps. */
interface LocalService {
  ext: string;
  svl: string;
  svc: string;
  spn: string;
  dport: string;
  proto: string;
  /** Rule text after "-A KUBE-SVL-… ", without statistic, and the endpoint IP's node. */
  endpoints: { jump: string; comment: string; node: number }[];
}

function localServices(nat: SaveTable, nodes: number): LocalService[] {
  const out: LocalService[] = [];
  const exts = [...nat.headers.keys()].filter((c) => c.startsWith('KUBE-EXT-')).sort();
  const portOf = new Map<string, { dport: string; proto: string }>();
  for (const r of nat.rules.get('KUBE-NODEPORTS') ?? []) {
    const m = / -p (\w+) .* --dport (\d+) -j (KUBE-EXT-\w+)/.exec(r);
    if (m !== null) portOf.set(m[3]!, { proto: m[1]!, dport: m[2]! });
  }
  exts.forEach((ext, k) => {
    if (k % 10 !== 0) return;
    const rules = nat.rules.get(ext)!;
    const svc = / -j (KUBE-SVC-\w+)/.exec(rules.at(-1)!)![1]!;
    const spn = /for (\S+) external/.exec(rules[0]!)![1]!;
    const endpoints = nat.rules
      .get(svc)!
      .filter((r) => r.includes('-j KUBE-SEP-'))
      .map((r) => {
        const ip = / -> ([\d.]+):/.exec(r)![1]!;
        const n = ip.split('.').reduce((a, x) => a * 256 + Number(x), 0);
        return {
          jump: / (-j KUBE-SEP-\w+)/.exec(r)![1]!,
          comment: /-m comment --comment "[^"]*"/.exec(r)![0],
          node: n % nodes,
        };
      });
    out.push({ ext, svl: ext.replace('KUBE-EXT-', 'KUBE-SVL-'), svc, spn, ...portOf.get(ext)!, endpoints });
  });
  return out;
}

/** What iptables-save prints for `--probability p` (libxt_statistic.c, "%.11f" of a u32 / 2^31). */
const probability = (p: number): string => (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);

/** Node i's nat/filter rules for the Local Services (kube-proxy 1.28 proxier.go, ETP Local). */
function localChains(ls: LocalService[], i: number, clusterCidr: string): { nat: SaveTable; filter: SaveTable } {
  const nat: SaveTable = { name: 'nat', builtins: [], headers: new Map(), rules: new Map() };
  const filter: SaveTable = { name: 'filter', builtins: [], headers: new Map(), rules: new Map() };
  const add = (t: SaveTable, chain: string, rule: string): void => {
    if (!t.headers.has(chain)) {
      t.headers.set(chain, `:${chain} - [0:0]`);
      t.rules.set(chain, []);
    }
    t.rules.get(chain)!.push(`[0:0] -A ${chain} ${rule}`);
  };
  for (const s of ls) {
    const mine = s.endpoints.filter((e) => e.node === i);
    add(
      nat,
      s.ext,
      `-s ${clusterCidr} -m comment --comment "pod traffic for ${s.spn} external destinations" -j ${s.svc}`,
    );
    add(
      nat,
      s.ext,
      `-m comment --comment "masquerade LOCAL traffic for ${s.spn} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
    );
    add(
      nat,
      s.ext,
      `-m comment --comment "route LOCAL traffic for ${s.spn} external destinations" -m addrtype --src-type LOCAL -j ${s.svc}`,
    );
    if (mine.length === 0) {
      add(
        filter,
        'KUBE-EXTERNAL-SERVICES',
        `-p ${s.proto} -m comment --comment "${s.spn} has no local endpoints" -m addrtype --dst-type LOCAL -m ${s.proto} --dport ${s.dport} -j DROP`,
      );
      continue;
    }
    add(nat, s.ext, `-j ${s.svl}`);
    mine.forEach((e, k) => {
      const left = mine.length - k;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${probability(1 / left)}` : '';
      add(nat, s.svl, `${e.comment}${stat} ${e.jump}`);
    });
  }
  return { nat, filter };
}

/** Replaces every occurrence of each key of `subst` in `text`. */
function rewrite(text: string, subst: [string, string][]): string {
  for (const [a, b] of subst) text = text.split(a).join(b);
  return text;
}

export function generateCluster(shape: ClusterShape): GeneratedCluster {
  const tpl = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as Snapshot;
  const th = tpl.hosts[T_NODE]!;
  const n = shape.nodes;
  const names = Array.from({ length: n }, (_, i) => nodeName(i));
  const cidr = '10.65.0.0/16';
  const kp = splitSave(
    rewrite(generateKubeProxyRuleset(shape.services, shape.endpointsPerService), [['10.244.0.0/16', cidr]]),
  );
  // The template's own kube-proxy chains give way to the generated ones; Calico's stay.
  const calico = splitSave(th.sections['iptables-nft-save']!).map((t) => {
    for (const c of [...t.headers.keys()])
      if (c.startsWith('KUBE-')) {
        t.headers.delete(c);
        t.rules.delete(c);
      }
    for (const [c, rs] of t.rules)
      t.rules.set(
        c,
        rs.filter((r) => !/ -j KUBE-/.test(r)),
      );
    return t;
  });
  mergeInto(calico, kp);
  const nat = calico.find((t) => t.name === 'nat')!;
  const locals = localServices(nat, n);
  // A Local Service's KUBE-EXT chain is kube-proxy's Local variant (localChains), not the Cluster one.
  const natRules = new Map(nat.rules);
  for (const s of locals) natRules.set(s.ext, []);
  const shared = new SharedSave(calico.map((t) => (t === nat ? { ...t, rules: natRules } : t)));

  const tplNode = tpl.objects.nodes.find((o) => (o['metadata'] as { name: string }).name === T_NODE)!;
  const tplBlock = tpl.objects.blockAffinities[0]!;
  const tplPod = tpl.objects.pods.find((o) => (o['metadata'] as { name: string }).name === 'client-0')!;
  const perNode = (o: KubeObject, i: number): KubeObject =>
    JSON.parse(
      rewrite(JSON.stringify(o), [
        [`${T_NODE}-10-65-0-0-26`, `${names[i]}-${block(i).replaceAll('.', '-')}-26`],
        [T_NODE, names[i]!],
        [`${T_IP}/24`, `${nodeIp(i)}/16`],
        [T_IP, nodeIp(i)],
        ['10.65.0.0/26', `${block(i)}/26`],
        ['10.65.0.2', dotted(((10 << 24) | (65 << 16)) + 64 * i + 2)],
        [`"${T_VTEP}"`, `"${block(i)}"`],
        ['client-0', `client-${i}`],
      ]),
    ) as KubeObject;
  const objects = {
    ...tpl.objects,
    nodes: names.map((_, i) => perNode(tplNode, i)),
    blockAffinities: names.map((_, i) => perNode(tplBlock, i)),
    pods: names.map((_, i) => perNode(tplPod, i)),
    services: [],
    endpointSlices: [],
  };
  // felix's all-hosts set holds every node's address, the same on every node: the template's
  // three members give way to the cluster's (a healthy cluster: tunnel-source finds nothing).
  const members = /(?:^add cali40all-vxlan-net \S+\n)+/m;
  if (!members.test(th.sections['ipset']!)) throw new Error('template: no cali40all-vxlan-net members');
  const ipset = th.sections['ipset']!.replace(
    members,
    names.map((_, i) => `add cali40all-vxlan-net ${nodeIp(i)}\n`).join(''),
  );
  const date = 'Fri Dec  4 04:56:24 2026';

  const host = (i: number): HostEntry => {
    const subst: [string, string][] = [
      [`"local":"${T_IP}","prefixlen":24`, `"local":"${nodeIp(i)}","prefixlen":16`],
      ['"dst":"192.168.1.0/24"', '"dst":"172.16.0.0/16"'],
      ['"dst":"192.168.1.255"', '"dst":"172.16.255.255"'],
      [T_IP, nodeIp(i)],
      [`"${T_VTEP}"`, `"${block(i)}"`],
      ['"10.65.0.0/26"', `"${block(i)}/26"`],
      ['"10.65.0.2"', `"${dotted(((10 << 24) | (65 << 16)) + 64 * i + 2)}"`],
      [T_MAC, vtepMac(i)],
    ];
    const others = names.map((_, j) => j).filter((j) => j !== i);
    const sections: Record<string, string> = {};
    for (const [k, v] of Object.entries(th.sections)) sections[k] = rewrite(v, subst);
    const routes = (JSON.parse(sections['ip-route']!) as { dev?: string; type: string }[]).filter(
      (r) => !(r.dev === 'vxlan.calico' && r.type === 'unicast'),
    );
    const remote = others.map((j) => ({
      type: 'unicast',
      dst: `${block(j)}/26`,
      gateway: block(j),
      dev: 'vxlan.calico',
      table: 'main',
      protocol: '80',
      scope: 'global',
      flags: ['onlink'],
    }));
    const local = routes.findIndex((r) => r.type === 'local' || (r as { table?: string }).table === 'local');
    routes.splice(local, 0, ...remote);
    sections['ip-route'] = JSON.stringify(routes);
    sections['ip-neigh'] = JSON.stringify(
      others.map((j) => ({ dst: block(j), dev: 'vxlan.calico', lladdr: vtepMac(j), state: ['PERMANENT'] })),
    );
    const fdb = (JSON.parse(sections['bridge-fdb']!) as { ifname: string }[]).filter(
      (e) => e.ifname !== 'vxlan.calico',
    );
    for (const j of others)
      fdb.push({
        mac: vtepMac(j),
        ifname: 'vxlan.calico',
        dst: nodeIp(j),
        flags: ['self'],
        state: 'permanent',
      } as never);
    sections['bridge-fdb'] = JSON.stringify(fdb);
    sections['ipset'] = rewrite(ipset, subst);
    const mine = localChains(locals, i, cidr);
    sections['iptables-nft-save'] = shared.render([mine.filter, mine.nat], i + 1, date);
    return { sections, errors: { ...th.errors } };
  };
  const { hosts: _hosts, ...head } = tpl;
  return { head: { ...head, objects }, names, host };
}
