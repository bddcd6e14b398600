// Parses `ip -d -j addr show` (section "ip-addr") into links and their addresses.
// Field names follow iproute2's JSON output (ip/ipaddress.c print_linkinfo / print_addrinfo,
// ip/iplink_vxlan.c, ip/link_iptnl.c); the fixtures under test/fixtures/ip/ are real captures.
import type { Address, Family, IpipInfo, Link, LinkKind, Parsed, VxlanInfo } from '../types.ts';
import { Fields, isObject } from './fields.ts';
import { familyOf } from './ip-text.ts';
import { mapJsonObjects } from './json-array.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'ip-addr';
const MODELLED_KINDS: ReadonlySet<string> = new Set(['veth', 'bridge', 'vxlan', 'ipip', 'dummy']);
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
/** The kernel's VXLAN port when none is given (drivers/net/vxlan: module parameter udp_port = 8472). */
const VXLAN_DEFAULT_PORT = 8472;

export interface IpAddrResult {
  links: Link[];
  addresses: Address[];
}

function kindOf(infoKind: string | undefined, linkType: string | undefined): LinkKind {
  if (infoKind !== undefined) return MODELLED_KINDS.has(infoKind) ? (infoKind as LinkKind) : 'other';
  if (linkType === 'loopback') return 'loopback';
  if (linkType === 'ether') return 'ether';
  return 'other';
}

/** ip prints "any" for an unset tunnel endpoint (link_iptnl.c). */
function endpoint(v: string | undefined): string | undefined {
  return v === undefined || v === 'any' ? undefined : v;
}

function vxlanInfo(d: Fields | undefined, where: string, w: Warnings): VxlanInfo {
  if (d === undefined) w.add(`${where}: vxlan device without info_data; VNI and port unknown`);
  const external = d?.bool('external');
  const info: VxlanInfo = {
    vni: d?.uint('id') ?? 0,
    port: d?.uint('port') ?? VXLAN_DEFAULT_PORT,
    // The kernel learns by default; ip prints "learning": false only for nolearning.
    learning: d?.bool('learning') ?? true,
  };
  const local = d?.str('local') ?? d?.str('local6');
  const remote = d?.str('remote') ?? d?.str('remote6');
  const group = d?.str('group') ?? d?.str('group6');
  const link = d?.str('link');
  if (local !== undefined) info.local = local;
  if (remote !== undefined) info.remote = remote;
  if (group !== undefined) info.group = group;
  if (link !== undefined) info.link = link;
  if (external === true) info.external = true;
  return info;
}

function ipipInfo(d: Fields | undefined): IpipInfo {
  const info: IpipInfo = {};
  const local = endpoint(d?.str('local'));
  const remote = endpoint(d?.str('remote'));
  const link = d?.str('link');
  if (local !== undefined) info.local = local;
  if (remote !== undefined) info.remote = remote;
  if (link !== undefined) info.link = link;
  return info;
}

function parseAddress(a: unknown, dev: string, where: string, w: Warnings): Address | undefined {
  if (!isObject(a)) {
    w.add(`${where}: address entry is not an object`);
    return undefined;
  }
  const f = new Fields(a, where, w);
  const local = f.str('local');
  const prefixLen = f.uint('prefixlen');
  if (local === undefined || prefixLen === undefined) {
    w.add(`${where}: address without "local" or "prefixlen"; skipped`);
    return undefined;
  }
  const printed = f.str('family');
  const family: Family | undefined = familyOf(local);
  if (family === undefined || (printed !== undefined && printed !== family)) {
    w.add(`${where}: ${quote(local)} is not an ${printed ?? 'IP'} address; skipped`);
    return undefined;
  }
  if (prefixLen > (family === 'inet' ? 32 : 128)) {
    w.add(`${where}: prefix length ${prefixLen} is out of range; skipped`);
    return undefined;
  }
  const addr: Address = {
    dev,
    family,
    local,
    prefixLen,
    scope: f.str('scope') ?? 'global',
    secondary: f.bool('secondary') ?? false,
    raw: JSON.stringify(a),
  };
  // A point-to-point address prints its peer as "address" (ipaddress.c: IFA_ADDRESS ≠ IFA_LOCAL).
  const peer = f.str('address');
  if (peer !== undefined && peer !== local) addr.peer = peer;
  const broadcast = f.str('broadcast');
  if (broadcast !== undefined) addr.broadcast = broadcast;
  const label = f.str('label');
  if (label !== undefined) addr.label = label;
  return addr;
}

interface LinkRecord {
  link: Link;
  addresses: Address[];
  /** A veth peer in the same namespace is printed by name ("link"), resolved once all are read. */
  peerName?: string;
}

function readLink(f: Fields, raw: string, w: Warnings): LinkRecord | undefined {
  const name = f.str('ifname');
  const index = f.uint('ifindex');
  if (name === undefined || index === undefined) {
    f.warn('link without "ifname" or "ifindex"; skipped with its addresses');
    return undefined;
  }
  const info = f.sub('linkinfo');
  const infoKind = info?.str('info_kind');
  const data = info?.sub('info_data');
  const flags = f.strings('flags') ?? [];
  const mtu = f.uint('mtu');
  if (mtu === undefined) f.warn(`link ${quote(name)} has no MTU`);
  const link: Link = {
    index,
    name,
    kind: kindOf(infoKind, f.str('link_type')),
    mtu: mtu ?? 0,
    up: flags.includes('UP'),
    operState: f.str('operstate') ?? 'UNKNOWN',
    raw,
  };
  const rec: LinkRecord = { link, addresses: [] };
  if (infoKind !== undefined) link.infoKind = infoKind;
  const master = f.str('master');
  if (master !== undefined) link.master = master;
  const mac = f.str('address');
  if (mac !== undefined && MAC.test(mac)) link.mac = mac.toLowerCase();
  if (infoKind === 'veth') {
    // Peer in another namespace: "link_index" + "link_netnsid"; in this one: "link": name.
    const peerIndex = f.uint('link_index');
    const peerName = f.obj['link'];
    if (peerIndex !== undefined) link.peerIndex = peerIndex;
    else if (typeof peerName === 'string') rec.peerName = peerName;
    const netns = f.uint('link_netnsid');
    if (netns !== undefined) link.linkNetnsId = netns;
  }
  if (infoKind === 'vxlan') link.vxlan = vxlanInfo(data, f.where, w);
  if (infoKind === 'ipip') link.ipip = ipipInfo(data);
  const slaveKind = info?.str('info_slave_kind');
  if (slaveKind !== undefined) link.slaveKind = slaveKind;
  // ip/iplink_bridge_slave.c prints "hairpin" as a JSON bool under info_slave_data (iproute2 5.x+).
  const hairpin = slaveKind === 'bridge' ? info?.sub('info_slave_data')?.bool('hairpin') : undefined;
  if (hairpin !== undefined) link.bridgePort = { hairpin };
  (f.arr('addr_info') ?? []).forEach((a, j) => {
    const addr = parseAddress(a, name, `${f.where}.addr_info[${j}]`, w);
    if (addr !== undefined) rec.addresses.push(addr);
  });
  return rec;
}

export function parseIpAddr(text: string): Parsed<IpAddrResult> {
  const w = new Warnings();
  const records = mapJsonObjects(text, SECTION, w, (f, raw) => readLink(f, raw, w));
  const byName = new Map(records.map((r) => [r.link.name, r.link]));
  for (const r of records) {
    const peer = r.peerName === undefined ? undefined : byName.get(r.peerName);
    if (peer !== undefined) r.link.peerIndex = peer.index;
  }
  const value = { links: records.map((r) => r.link), addresses: records.flatMap((r) => r.addresses) };
  return { value, warnings: w.done() };
}
