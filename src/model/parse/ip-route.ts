// Parses `ip -d -j route show table all` (section "ip-route"), IPv4 and IPv6.
// What iproute2 prints (ip/iproute.c print_route), as the fixtures show:
// - "type" is always printed with -d; without it, unicast routes omit it.
// - "table" is a name ("main", "local", "calico" from rt_tables) or a number as a string; routes
//   of the main table omit it without -d.
// - "protocol" is omitted when it is "boot" and "scope" when it is "global", without -d.
// - "metric" is omitted when 0 (IPv4); IPv6 routes always carry "metric" and "pref".
// - the destination is "default", a bare address (a host route) or "address/len"; the element
//   has no family field, so the family comes from the addresses in it.
import type { Family, NextHop, Parsed, Route, RouteType } from '../types.ts';
import { Fields, isObject, parseUint } from './fields.ts';
import { familyOf, familyOfPrefix, toCidr } from './ip-text.ts';
import { mapJsonObjects, topLevelValues } from './json-array.ts';
import { TABLE_MAIN, tableRef } from './route-table.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'ip-route';
const ROUTE_TYPES: ReadonlySet<string> = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
]);

/** A gateway is "gateway", or "via": {family, host} when it is of the other family (RFC 5549). */
function gatewayOf(f: Fields): string | undefined {
  return f.str('gateway') ?? f.sub('via')?.str('host');
}

/** The family of a route element: from its destination, else any address in it, else "pref". */
function routeFamily(f: Fields, dst: string): Family {
  const fromDst = familyOfPrefix(dst);
  if (fromDst !== undefined) return fromDst;
  // Not "via": its family is the gateway's, which may differ from the route's (RFC 5549).
  // Read quietly: the fields are read (and their types reported) again below.
  const hops = f.obj['nexthops'];
  const candidates = [f.obj['gateway'], f.obj['prefsrc'], ...(Array.isArray(hops) ? hops : [])];
  for (const c of candidates) {
    const addr = isObject(c) ? c['gateway'] : c;
    const fam = typeof addr === 'string' ? familyOf(addr) : undefined;
    if (fam !== undefined) return fam;
  }
  // The kernel adds RTA_PREF to every IPv6 route and to no IPv4 one (net/ipv6/route.c rt6_fill_node).
  return f.has('pref') ? 'inet6' : 'inet';
}

function parseNextHops(f: Fields, where: string, w: Warnings): NextHop[] {
  const hops = f.arr('nexthops');
  if (hops === undefined) return [];
  const out: NextHop[] = [];
  hops.forEach((h, i) => {
    if (!isObject(h)) {
      w.add(`${where}.nexthops[${i}]: not an object`);
      return;
    }
    const hf = new Fields(h, `${where}.nexthops[${i}]`, w);
    const hop: NextHop = {
      // The kernel stores weight - 1 (rtnh_hops); ip prints the weight itself, 1 by default.
      weight: hf.uint('weight') ?? 1,
      onlink: (hf.strings('flags') ?? []).includes('onlink'),
    };
    const gw = gatewayOf(hf);
    const dev = hf.str('dev');
    if (gw !== undefined) hop.gateway = gw;
    if (dev !== undefined) hop.dev = dev;
    out.push(hop);
  });
  return out;
}

/** The route MTU from "metrics": [{"mtu": 1400, "advmss": ...}]. */
function routeMtu(f: Fields, where: string, w: Warnings): number | undefined {
  const metrics = f.arr('metrics');
  if (metrics === undefined) return undefined;
  for (const m of metrics) {
    if (isObject(m) && Object.hasOwn(m, 'mtu')) return new Fields(m, `${where}.metrics`, w).uint('mtu');
  }
  return undefined;
}

/**
 * A route with a lightweight tunnel (`encap ip ...`) prints the encap's own "dst", "src" and "tos"
 * after the route's (ip/iproute_lwtunnel.c), so JSON.parse sees the encap's; the route's are the
 * first occurrences.
 */
function firstOf(f: Fields, raw: string, key: string): unknown {
  if (!f.has('encap')) return f.obj[key];
  const first = topLevelValues(raw, key)[0];
  try {
    return first === undefined ? undefined : (JSON.parse(first) as unknown);
  } catch {
    return undefined;
  }
}

function parseRoute(f: Fields, raw: string, w: Warnings): Route | undefined {
  const where = f.where;
  const dstValue = firstOf(f, raw, 'dst');
  const dstText = typeof dstValue === 'string' ? dstValue : undefined;
  if (dstText === undefined) {
    w.add(`${where}: route without a "dst" string; skipped`);
    return undefined;
  }
  const typeText = f.str('type') ?? 'unicast';
  if (!ROUTE_TYPES.has(typeText)) {
    w.add(`${where}: unknown route type ${quote(typeText)}; skipped`);
    return undefined;
  }
  const family = routeFamily(f, dstText);
  const dst = toCidr(dstText, family);
  if (dst === undefined) {
    w.add(`${where}: destination ${quote(dstText)} is not an address or prefix; skipped`);
    return undefined;
  }
  const tableText = f.text('table');
  const table = tableText === undefined ? { table: TABLE_MAIN } : tableRef(tableText);
  if (table === undefined) {
    w.add(`${where}: table ${quote(tableText ?? '')} is neither a number nor a name; skipped`);
    return undefined;
  }
  const flags = f.strings('flags') ?? [];
  const unmodeled: string[] = [];
  let tos = 0;
  const tosValue = firstOf(f, raw, 'tos');
  const tosText = typeof tosValue === 'string' || typeof tosValue === 'number' ? String(tosValue) : undefined;
  if (tosText !== undefined) {
    // Printed as hex, or as a name from /etc/iproute2/rt_dsfield, which the snapshot lacks.
    const n = parseUint(tosText);
    if (n === undefined) {
      w.add(`${where}: TOS ${quote(tosText)} is not a number`);
      unmodeled.push(`tos ${tosText}`);
    } else tos = n;
  }
  const route: Route = {
    family,
    table: table.table,
    type: typeText as RouteType,
    dst,
    tos,
    onlink: flags.includes('onlink'),
    metric: f.uint('metric') ?? 0,
    protocol: f.text('protocol') ?? 'boot',
    scope: f.text('scope') ?? 'global',
    nexthops: parseNextHops(f, where, w),
    raw,
  };
  if (route.nexthops.length === 0) {
    const gw = gatewayOf(f);
    const dev = f.str('dev');
    if (gw !== undefined) route.gateway = gw;
    if (dev !== undefined) route.dev = dev;
  }
  const prefsrc = f.str('prefsrc');
  if (prefsrc !== undefined) route.prefsrc = prefsrc;
  const mtu = routeMtu(f, where, w);
  if (mtu !== undefined) route.mtu = mtu;
  if (table.name !== undefined) route.tableName = table.name;
  route.flags = flags;
  // Source-specific routes (IPv6 "from"), nexthop objects and lightweight tunnels change where the
  // packet goes in ways the model does not represent.
  const from = f.str('from');
  if (from !== undefined) unmodeled.push(`from ${from}`);
  const nhid = f.uint('nhid');
  if (nhid !== undefined && route.dev === undefined && route.nexthops.length === 0) unmodeled.push(`nhid ${nhid}`);
  const encap = f.text('encap');
  if (encap !== undefined) unmodeled.push(`encap ${encap}`);
  if (unmodeled.length > 0) route.unmodeled = unmodeled;
  return route;
}

/** `known`: items of elements other hosts printed the same (mapJsonObjects). */
export function parseIpRoute(text: string, known?: Map<string, Route>): Parsed<Route[]> {
  const w = new Warnings();
  const routes = mapJsonObjects(text, SECTION, w, (f, raw) => parseRoute(f, raw, w), known);
  return { value: routes, warnings: w.done() };
}
