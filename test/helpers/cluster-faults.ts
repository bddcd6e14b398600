// Per-node faults injected into a generated cluster (bench/gen/cluster.ts, Calico VXLAN): each one
// node's state changed the way the incidents change it (docs/incidents.md #2, #3), so the pair
// checks must name that node's pair among N healthy ones. Edits go through the sections' own JSON
// (ip -j) and ipset-save text, as collected.
import { block, generateCluster, nodeIp, nodeName, vtepMac } from '../../bench/gen/cluster.ts';
import type { HostEntry, Snapshot } from '../../src/snapshot/types.ts';

type Json = Record<string, unknown>;

/** The generated cluster as one v1 snapshot (small N only: it is one object). */
export function generatedSnapshot(nodes: number, services = 20): Snapshot {
  const g = generateCluster({ nodes, services, endpointsPerService: 3 });
  return { ...g.head, hosts: Object.fromEntries(g.names.map((n, i) => [n, g.host(i)])) } as Snapshot;
}

function host(s: Snapshot, i: number): HostEntry {
  const h = s.hosts[nodeName(i)];
  if (h === undefined) throw new Error(`no host ${nodeName(i)}`);
  return h;
}

function edit(s: Snapshot, i: number, section: string, f: (items: Json[]) => Json[]): void {
  const h = host(s, i);
  h.sections[section] = JSON.stringify(f(JSON.parse(h.sections[section]!) as Json[]));
}

function vxlanInfo(l: Json): Json {
  return (l['linkinfo'] as { info_data: Json }).info_data;
}

/** Adds `ip` as a secondary address of node i's eth0. */
function addEth0Address(s: Snapshot, i: number, ip: string): void {
  edit(s, i, 'ip-addr', (links) =>
    links.map((l) =>
      l['ifname'] !== 'eth0'
        ? l
        : {
            ...l,
            addr_info: [
              ...(l['addr_info'] as Json[]),
              { family: 'inet', local: ip, prefixlen: 16, scope: 'global', secondary: true, label: 'eth0' },
            ],
          },
    ),
  );
}

export const FAULTS = {
  /** Node a's route to node b's block goes to node c's VTEP (a stale route: incidents #2). */
  wrongRoute: (s: Snapshot, a: number, b: number, c: number): void =>
    edit(s, a, 'ip-route', (rs) => rs.map((r) => (r['dst'] === `${block(b)}/26` ? { ...r, gateway: block(c) } : r))),
  /** Node a has no fdb entry for node b's VTEP MAC: it cannot encapsulate for b. */
  missingFdb: (s: Snapshot, a: number, b: number): void =>
    edit(s, a, 'bridge-fdb', (es) => es.filter((e) => !(e['ifname'] === 'vxlan.calico' && e['mac'] === vtepMac(b)))),
  /** Node a's fdb entry for node b's VTEP sends to node c's address. */
  wrongFdbDst: (s: Snapshot, a: number, b: number, c: number): void =>
    edit(s, a, 'bridge-fdb', (es) =>
      es.map((e) => (e['ifname'] === 'vxlan.calico' && e['mac'] === vtepMac(b) ? { ...e, dst: nodeIp(c) } : e)),
    ),
  /** Node a's neighbour entry for node b's VTEP carries node c's MAC. */
  wrongNeighborMac: (s: Snapshot, a: number, b: number, c: number): void =>
    edit(s, a, 'ip-neigh', (ns) => ns.map((n) => (n['dst'] === block(b) ? { ...n, lladdr: vtepMac(c) } : n))),
  /** Node a's vxlan.calico is pinned to a second address of eth0 that no peer knows (incidents #3). */
  wrongLocal: (s: Snapshot, a: number, ip: string): void => {
    addEth0Address(s, a, ip);
    edit(s, a, 'ip-addr', (links) =>
      links.map((l) =>
        l['ifname'] === 'vxlan.calico'
          ? { ...l, linkinfo: { info_kind: 'vxlan', info_data: { ...vxlanInfo(l), local: ip } } }
          : l,
      ),
    );
  },
  /** Every node's vxlan.calico without `local`: the outer source is the route's (routing picks it). */
  noLocal: (s: Snapshot): void => {
    for (const [name, h] of Object.entries(s.hosts)) {
      if (h.sections['ip-addr'] === undefined) continue;
      const i = Number(name.slice('node-'.length));
      edit(s, i, 'ip-addr', (links) =>
        links.map((l) => {
          if (l['ifname'] !== 'vxlan.calico') return l;
          const { local: _, ...data } = vxlanInfo(l);
          return { ...l, linkinfo: { info_kind: 'vxlan', info_data: data } };
        }),
      );
    }
  },
  /** Node a's underlay route gives a second eth0 address as source (with noLocal: the outer source). */
  wrongRouteSource: (s: Snapshot, a: number, ip: string): void => {
    addEth0Address(s, a, ip);
    edit(s, a, 'ip-route', (rs) => rs.map((r) => (r['dst'] === '172.16.0.0/16' ? { ...r, prefsrc: ip } : r)));
  },
  /** Node b's all-hosts allow-list lacks node a's address. */
  missingAllowListEntry: (s: Snapshot, b: number, a: number): void => {
    const h = host(s, b);
    h.sections['ipset'] = h.sections['ipset']!.replace(`add cali40all-vxlan-net ${nodeIp(a)}\n`, '');
  },
  /** Node i's section could not be collected. */
  sectionFailed: (s: Snapshot, i: number, section: string): void => {
    const h = host(s, i);
    delete h.sections[section];
    h.errors[section] = `${section.split('-')[0]} exited 1: injected failure`;
  },
  /** Node i was not probed (its Node object stays). */
  notProbed: (s: Snapshot, i: number): void => {
    delete s.hosts[nodeName(i)];
  },
};
