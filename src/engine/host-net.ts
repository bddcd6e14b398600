// A host's parsed state indexed for the engine: devices by name, routing tables ready for
// longest-prefix match, rules in priority order, addresses as numbers (netfilter compiles on first use).
// Built once per host.
import { parseCidr4, parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { Address, FdbEntry, HostState, IpSet, Link, Neighbor, PolicyRule, Route } from '../model/types.ts';

/** Routing table numbers, as in /etc/iproute2/rt_tables. */
export const TABLE_LOCAL = 255;
export const TABLE_MAIN = 254;

export interface IndexedRoute {
  route: Route;
  net: Ipv4;
  len: number;
}

/** One routing table: routes grouped by prefix length, longest first, each group keyed by network. */
export interface RouteTable {
  id: number;
  /** Prefix lengths present, descending. */
  lengths: number[];
  byLength: Map<number, Map<Ipv4, IndexedRoute[]>>;
}

export interface IndexedAddress {
  address: Address;
  local: Ipv4;
  net: Ipv4;
  len: number;
}

export interface HostNet {
  name: string;
  state: HostState;
  links: Map<string, Link>;
  /**
   * Links in ifindex order. The kernel walks devices in registration order when it picks a source
   * from any device (inet_select_addr); the snapshot shows only ifindexes, which grow with each
   * new device, so ifindex order stands for it.
   */
  linkOrder: Link[];
  /** IPv4 addresses per device, in the order ip prints them (primary before secondary). */
  addresses: Map<string, IndexedAddress[]>;
  tables: Map<number, RouteTable>;
  /** IPv4 policy rules in priority order (ties in listing order, as the kernel keeps them). */
  rules: PolicyRule[];
  /**
   * IPv4 neighbour entries by device, then address (the last listed wins). Keyed by number, not by
   * a "dev|ip" string built per lookup: every node asks for each of its N peers' VTEPs.
   */
  neighbors: Map<string, Map<Ipv4, Neighbor>>;
  fdb: FdbEntry[];
  /**
   * By device, then MAC, the first fdb entry with a remote (`dst`): the entry a VXLAN device sends
   * that MAC's frames to (vxlan_find_mac), looked up once per peer rather than searched (1,000
   * nodes hold 1,000 entries each, asked by every pair).
   */
  fdbRemote: Map<string, Map<string, FdbEntry>>;
  ipsets: Map<string, IpSet>;
}

function addRoute(tables: Map<number, RouteTable>, r: Route): void {
  const c = parseCidr4(r.dst);
  if (c === undefined) return;
  let t = tables.get(r.table);
  if (t === undefined) {
    t = { id: r.table, lengths: [], byLength: new Map() };
    tables.set(r.table, t);
  }
  let group = t.byLength.get(c.len);
  if (group === undefined) {
    group = new Map();
    t.byLength.set(c.len, group);
    t.lengths.push(c.len);
    t.lengths.sort((a, b) => b - a);
  }
  const list = group.get(c.net) ?? [];
  list.push({ route: r, net: c.net, len: c.len });
  // The kernel keeps aliases of one prefix ordered by TOS (non-zero first) then priority (metric).
  list.sort((a, b) => (b.route.tos !== 0 ? 1 : 0) - (a.route.tos !== 0 ? 1 : 0) || a.route.metric - b.route.metric);
  group.set(c.net, list);
}

export function buildHostNet(state: HostState): HostNet {
  const links = new Map<string, Link>();
  for (const l of state.links) links.set(l.name, l);
  const linkOrder = [...state.links].sort((a, b) => a.index - b.index);

  const addresses = new Map<string, IndexedAddress[]>();
  for (const a of state.addresses) {
    if (a.family !== 'inet') continue;
    const local = parseIpv4(a.local);
    if (local === undefined) continue;
    const c = parseCidr4(`${a.local}/${a.prefixLen}`);
    if (c === undefined) continue;
    const list = addresses.get(a.dev) ?? [];
    list.push({ address: a, local, net: c.net, len: c.len });
    addresses.set(a.dev, list);
  }

  const tables = new Map<number, RouteTable>();
  for (const r of state.routes) if (r.family === 'inet') addRoute(tables, r);

  const rules = state.rules
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.family === 'inet')
    .sort((a, b) => a.r.priority - b.r.priority || a.i - b.i)
    .map(({ r }) => r);

  const neighbors = new Map<string, Map<Ipv4, Neighbor>>();
  for (const n of state.neighbors) {
    const ip = parseIpv4(n.dst);
    if (ip !== undefined) byDevice(neighbors, n.dev).set(ip, n);
  }
  const ipsets = new Map<string, IpSet>();
  for (const s of state.ipsets) ipsets.set(s.name, s);

  const fdbRemote = new Map<string, Map<string, FdbEntry>>();
  for (const f of state.fdb) {
    if (f.dst === undefined) continue;
    const m = byDevice(fdbRemote, f.dev);
    if (!m.has(f.mac)) m.set(f.mac, f);
  }

  // Netfilter compiles on first use (netfilter/compile.ts): `doctor` of a 10k-Service node
  // reaches no chain, and compiling its long ones now took 0.45 s of its 2 s.
  return {
    name: state.name,
    state,
    links,
    linkOrder,
    addresses,
    tables,
    rules,
    neighbors,
    fdb: state.fdb,
    fdbRemote,
    ipsets,
  };
}

function byDevice<K, V>(m: Map<string, Map<K, V>>, dev: string): Map<K, V> {
  let d = m.get(dev);
  if (d === undefined) m.set(dev, (d = new Map()));
  return d;
}

/** The neighbour entry of `ip` on `dev`. */
export function neighborOf(h: HostNet, dev: string, ip: Ipv4): Neighbor | undefined {
  return h.neighbors.get(dev)?.get(ip);
}

/** Primary (non-secondary) IPv4 addresses of a device. */
export function primaryAddresses(h: HostNet, dev: string): IndexedAddress[] {
  return (h.addresses.get(dev) ?? []).filter((a) => !a.address.secondary);
}

/**
 * A neighbour entry the kernel transmits with: it has a link-layer address and is not FAILED or
 * INCOMPLETE (a STALE entry is still used; neigh_resolve_output sends and re-probes later).
 */
export function usableNeighbor(n: Neighbor | undefined): n is Neighbor & { lladdr: string } {
  return n?.lladdr !== undefined && !n.state.includes('FAILED') && !n.state.includes('INCOMPLETE');
}
