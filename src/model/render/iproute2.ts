// Routes, rules, addresses, neighbours and fdb entries printed the way `ip route show table all`,
// `ip rule show`, `ip addr show`, `ip neigh show` and `bridge fdb show` print them, for evidence
// a person reads.
//
// Every parsed value keeps the `ip -j` element it came from (`raw`). iproute2 prints text and JSON
// through the same print_*(PRINT_ANY, key, fmt, value) calls in the same order (ip/iproute.c
// print_route, ip/iprule.c print_rule, ip/ipaddress.c print_addrinfo, ip/ipneigh.c
// print_neigh, bridge/fdb.c print_fdb), so walking the JSON keys in order and formatting each as its text form gives the
// text line. The probe runs `ip -d -j route`, whose detail mode adds what plain `ip route` leaves
// out (type unicast, table main, proto boot, scope global); those are dropped here. A value whose
// raw is not JSON (hand-made, or already text) is printed as it is.
import { topLevelValues } from '../parse/json-array.ts';
import type { Address, FdbEntry, Link, Neighbor, PolicyRule, Route } from '../types.ts';

type Json = Record<string, unknown>;

function objectOf(raw: string): Json | undefined {
  const t = raw.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** The first occurrence of a key (JSON.parse keeps the last of duplicates). */
function first(raw: string, key: string): unknown {
  const v = topLevelValues(raw, key)[0];
  if (v === undefined) return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/** `via` of a route or next hop: "via GW", or "via inet6 GW" for a gateway of the other family. */
function gatewayWords(o: Json, key: string): string[] {
  const v = o[key];
  if (key === 'gateway') return ['via', text(v)];
  if (typeof v === 'object' && v !== null) {
    const via = v as Json;
    return ['via', ...(via['family'] !== undefined ? [text(via['family'])] : []), text(via['host'])];
  }
  return [];
}

/** The route metrics array: [{"mtu": 1400}] → "mtu 1400". */
function metricsWords(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((m) =>
    typeof m === 'object' && m !== null ? Object.entries(m as Json).flatMap(([k, x]) => [k, text(x)]) : [],
  );
}

/** Keys of a lightweight tunnel (`encap ip`), printed after "encap TYPE" (ip/iproute_lwtunnel.c print_encap_ip). */
const ENCAP_IP_KEYS = ['id', 'src', 'dst', 'ttl', 'tos'] as const;

function encapWords(raw: string, o: Json): string[] {
  // The encap's "dst" and "tos" follow the route's own; their last occurrence is the encap's.
  const words = ['', 'encap', text(o['encap'])];
  for (const k of ENCAP_IP_KEYS) {
    const all = topLevelValues(raw, k);
    const v = all[all.length - 1];
    if (v !== undefined && (k !== 'dst' || all.length > 1)) words.push(k, text(JSON.parse(v) as unknown));
  }
  return words;
}

function nexthopLine(h: unknown): string {
  if (typeof h !== 'object' || h === null) return '';
  const o = h as Json;
  const words = ['nexthop'];
  for (const k of Object.keys(o)) {
    if (k === 'gateway' || k === 'via') words.push(...gatewayWords(o, k));
    else if (k === 'dev' || k === 'weight') words.push(k, text(o[k]));
    else if (k === 'flags' && Array.isArray(o[k])) words.push(...(o[k] as unknown[]).map(text));
  }
  return `\t${words.join(' ')}`;
}

/** One route as `ip route show table all` prints it (a multipath route spans several lines). */
export function renderRoute(r: Route): string {
  const o = objectOf(r.raw);
  if (o === undefined) return r.raw;
  const words: string[] = [];
  const hops: string[] = [];
  const encap = o['encap'] !== undefined;
  for (const k of Object.keys(o)) {
    const v = o[k];
    switch (k) {
      case 'type':
        if (v !== 'unicast') words.push(text(v));
        break;
      case 'dst':
        words.push(text(encap ? first(r.raw, 'dst') : v));
        break;
      case 'encap':
        words.push(...encapWords(r.raw, o));
        break;
      case 'tos':
        if (!encap) words.push('tos', text(v));
        break;
      case 'id':
      case 'src':
      case 'ttl':
        if (!encap) words.push(k, text(v));
        break;
      case 'from':
      case 'nhid':
      case 'dev':
      case 'metric':
      case 'pref':
        words.push(k, text(v));
        break;
      case 'gateway':
      case 'via':
        words.push(...gatewayWords(o, k));
        break;
      case 'table':
        if (v !== 'main') words.push('table', text(v));
        break;
      case 'protocol':
        if (v !== 'boot') words.push('proto', text(v));
        break;
      case 'scope':
        if (v !== 'global' && v !== 'universe') words.push('scope', text(v));
        break;
      case 'prefsrc':
        words.push('src', text(v));
        break;
      case 'flags':
        if (Array.isArray(v)) words.push(...v.map(text));
        break;
      case 'metrics':
        words.push(...metricsWords(v));
        break;
      case 'nexthops':
        if (Array.isArray(v)) hops.push(...v.map(nexthopLine));
        break;
      default:
        // JSON-only detail (nh_info, cache, expires in jiffies): not part of the text line.
        break;
    }
  }
  return [words.join(' '), ...hops].join('\n');
}

/** One rule as `ip rule show` prints it: "32766:\tfrom all lookup main". */
export function renderRule(r: PolicyRule): string {
  const o = objectOf(r.raw);
  if (o === undefined) return r.raw.trim();
  const words: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    switch (k) {
      case 'priority':
      case 'srclen':
      case 'dstlen':
      case 'fwmask':
      case 'uid_end':
        break; // printed with their partners
      case 'not':
        words.push('not');
        break;
      case 'src':
        words.push('from', o['srclen'] !== undefined ? `${text(v)}/${text(o['srclen'])}` : text(v));
        break;
      case 'dst':
        words.push('to', o['dstlen'] !== undefined ? `${text(v)}/${text(o['dstlen'])}` : text(v));
        break;
      case 'fwmark':
        words.push('fwmark', o['fwmask'] !== undefined ? `${text(v)}/${text(o['fwmask'])}` : text(v));
        break;
      case 'uid_start':
        words.push('uidrange', `${text(v)}-${text(o['uid_end'])}`);
        break;
      case 'iif_detached':
      case 'oif_detached':
        words.push('[detached]');
        break;
      case 'table':
        words.push('lookup', text(v));
        break;
      case 'l3mdev':
        words.push('lookup', '[l3mdev-table]');
        break;
      case 'suppress_prefixlen':
        words.push('suppress_prefixlength', text(v));
        break;
      case 'nop':
        words.push('nop');
        break;
      case 'unresolved':
        words.push('[unresolved]');
        break;
      case 'action':
        words.push(text(v));
        break;
      case 'protocol':
        words.push('proto', text(v));
        break;
      default:
        // tos, iif, oif, goto, ipproto, sport, dport, realms, ...: "key value".
        words.push(k, text(v));
        break;
    }
  }
  return `${text(o['priority'] ?? r.priority)}:\t${words.join(' ')}`;
}

/** Boolean address flags as ip prints them (ip/ipaddress.c ifa_flag_names). */
const ADDRESS_FLAGS: ReadonlySet<string> = new Set([
  'secondary',
  'temporary',
  'nodad',
  'optimistic',
  'dadfailed',
  'home',
  'deprecated',
  'tentative',
  'permanent',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'stable-privacy',
  'dynamic',
]);

/** One address line of `ip addr show`, without its indentation: "inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0". */
export function renderAddress(a: Address): string {
  const o = objectOf(a.raw);
  if (o === undefined) return a.raw;
  const words: string[] = [];
  const hasPeer = o['address'] !== undefined;
  for (const k of Object.keys(o)) {
    const v = o[k];
    switch (k) {
      case 'family':
        words.push(text(v));
        break;
      case 'local':
        // A point-to-point address prints "LOCAL peer PEER/LEN", else "LOCAL/LEN".
        words.push(hasPeer ? text(v) : `${text(v)}/${text(o['prefixlen'])}`);
        break;
      case 'address':
        words.push('peer', `${text(v)}/${text(o['prefixlen'])}`);
        break;
      case 'broadcast':
        words.push('brd', text(v));
        break;
      case 'anycast':
        words.push('any', text(v));
        break;
      case 'scope':
        words.push('scope', text(v));
        break;
      case 'label':
        words.push(text(v));
        break;
      default:
        if (ADDRESS_FLAGS.has(k) && v === true) words.push(k);
        break;
    }
  }
  return words.join(' ');
}

/** One neighbour as `ip neigh show` prints it: "10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE". */
export function renderNeighbor(n: Neighbor): string {
  const o = objectOf(n.raw);
  if (o === undefined) return n.raw;
  const words: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    switch (k) {
      case 'dst':
        words.push(text(v));
        break;
      case 'state':
        if (Array.isArray(v)) words.push(...v.map(text));
        break;
      case 'router':
      case 'proxy':
      case 'extern_learn':
        words.push(k);
        break;
      default:
        // dev, lladdr, nud-less extras ("probes" only with -s).
        if (k === 'dev' || k === 'lladdr') words.push(k, text(v));
        break;
    }
  }
  return words.join(' ');
}

/** One entry as `bridge fdb show` prints it: "0a:58:0a:f4:01:00 dev flannel.1 dst 192.168.0.12 self permanent". */
export function renderFdb(e: FdbEntry): string {
  const o = objectOf(e.raw);
  if (o === undefined) return e.raw;
  const words: string[] = [];
  for (const k of Object.keys(o)) {
    const v = o[k];
    switch (k) {
      case 'mac':
        words.push(text(v));
        break;
      case 'ifname':
        words.push('dev', text(v));
        break;
      case 'viaIf':
        words.push('via', text(v));
        break;
      case 'flags':
        if (Array.isArray(v)) words.push(...v.map(text));
        break;
      case 'state':
        if (v !== '') words.push(text(v));
        break;
      default:
        // dst, vlan, port, vni, src_vni, nhid, master: "key value".
        words.push(k, text(v));
        break;
    }
  }
  return words.join(' ');
}

/**
 * A device as the first lines of `ip -d link show` summarise it: "5: vxlan.calico: mtu 1450 state
 * UNKNOWN vxlan id 4096 local 192.168.1.11 dev eth0 dstport 4789". Not byte-equal to ip's output
 * (flags and qdisc are left out): the fields a check reasons about, in ip's words.
 */
export function renderLink(l: Link): string {
  const words = [`${l.index}: ${l.name}:`, 'mtu', String(l.mtu)];
  if (l.master !== undefined) words.push('master', l.master);
  words.push('state', l.operState);
  if (!l.up) words.push('(admin down)');
  if (l.vxlan !== undefined) {
    const v = l.vxlan;
    words.push('vxlan', 'id', String(v.vni));
    if (v.remote !== undefined) words.push('remote', v.remote);
    if (v.local !== undefined) words.push('local', v.local);
    if (v.link !== undefined) words.push('dev', v.link);
    words.push('dstport', String(v.port));
  } else if (l.ipip !== undefined) {
    words.push('ipip', 'remote', l.ipip.remote ?? 'any', 'local', l.ipip.local ?? 'any');
    if (l.ipip.link !== undefined) words.push('dev', l.ipip.link);
  } else if (l.infoKind !== undefined) words.push(l.infoKind);
  // ip -d link: "bridge_slave state forwarding ... hairpin off ..." (ip/iplink_bridge_slave.c).
  if (l.bridgePort?.hairpin !== undefined) words.push('bridge_slave', 'hairpin', l.bridgePort.hairpin ? 'on' : 'off');
  return words.join(' ');
}
