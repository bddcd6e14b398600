// Membership test of a packet in an `ipset save` set, as the kernel's ip_set_test() does it
// (net/netfilter/ipset/ip_set_core.c) for the set types CNIs and kube-proxy create.
//
// - Each dimension of the set takes the packet's source or destination according to the rule's
//   flags ("src,dst"); a rule with fewer flags than the set has dimensions never matches
//   (ip_set_test: opt->dim < set->type->dimension → 0), extra flags are ignored.
// - hash:net* types try the prefix lengths present in the set from the longest to the shortest
//   and the first element found decides (ip_set_hash_gen.h mtype_test_cidrs); an element added
//   with `nomatch` makes that a non-match (-ENOTEMPTY), and --return-nomatch swaps the two
//   answers (ip_set_test: ret = -ret).
// - Port dimensions carry the protocol ("tcp:80"; a bare port is tcp, ipset(8)); ICMP uses
//   type/code as the port (ip_set_getport.c ip_set_get_ip4_port). bitmap:port takes TCP and UDP
//   ports only (ip_set_get_ip_port).
// - list:set tests its member sets in order, the first match wins (ip_set_list_set.c).
import { parseIpv4, maskOf } from '../../lib/ipv4.ts';
import type { IpSet } from '../../model/types.ts';
import type { Packet } from '../packet.ts';
import type { MatchResult } from './compiled.ts';
import { PROTO_NUMBER } from './matches/core.ts';
import type { NetfilterEnv } from './types.ts';

type Dim = 'addr' | 'port' | 'anyport';

const TYPE_DIMS: Readonly<Record<string, readonly Dim[]>> = {
  'hash:ip': ['addr'],
  'hash:net': ['addr'],
  'bitmap:ip': ['addr'],
  'hash:ip,port': ['addr', 'port'],
  'hash:net,port': ['addr', 'port'],
  'hash:ip,port,ip': ['addr', 'port', 'addr'],
  'hash:ip,port,net': ['addr', 'port', 'addr'],
  'hash:net,port,net': ['addr', 'port', 'addr'],
  'hash:net,net': ['addr', 'addr'],
  'bitmap:port': ['anyport'],
};

/** Types whose elements may carry `nomatch` (IPSET_TYPE_NOMATCH). */
const NOMATCH_TYPES: ReadonlySet<string> = new Set([
  'hash:net',
  'hash:net,port',
  'hash:ip,port,net',
  'hash:net,port,net',
  'hash:net,net',
  'hash:net,iface',
]);

interface CompiledSet {
  dims: readonly Dim[];
  /** Distinct prefix lengths per address dimension, longest first. */
  lens: number[][];
  /** Element key → nomatch. */
  elements: Map<string, boolean>;
  /** An element we could not read: the set's answer may be wrong, so say unknown. */
  unreadable?: string;
  inet6: boolean;
}

const ICMP_NAMES: Readonly<Record<string, string>> = { 'echo-reply': '0/0', 'echo-request': '8/0' };

function portKey(s: string, dim: Dim): string | undefined {
  if (dim === 'anyport') return /^\d{1,5}$/.test(s) && Number(s) <= 65535 ? `any:${Number(s)}` : undefined;
  const colon = s.indexOf(':');
  const proto = colon < 0 ? 'tcp' : s.slice(0, colon).toLowerCase();
  let port = colon < 0 ? s : s.slice(colon + 1);
  if (proto === 'icmp') {
    port = ICMP_NAMES[port] ?? port;
    const m = /^(\d{1,3})\/(\d{1,3})$/.exec(port);
    return m === null ? undefined : `1:${(Number(m[1]) << 8) | Number(m[2])}`;
  }
  const num =
    proto === 'tcp' ? 6 : proto === 'udp' ? 17 : proto === 'sctp' ? 132 : proto === 'udplite' ? 136 : undefined;
  if (num === undefined || !/^\d{1,5}$/.test(port) || Number(port) > 65535) return undefined;
  return `${num}:${Number(port)}`;
}

function addrPart(s: string, fixedLen: number | undefined): { net: number; len: number } | undefined {
  const slash = s.indexOf('/');
  const addr = parseIpv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  let len = fixedLen ?? 32;
  if (slash >= 0) {
    const l = s.slice(slash + 1);
    if (!/^\d{1,2}$/.test(l) || Number(l) > 32) return undefined;
    len = Number(l);
  }
  return { net: (addr & maskOf(len)) >>> 0, len };
}

/** `netmask N` of a hash:ip set: members are stored and looked up masked to /N. */
function netmaskOption(set: IpSet): number | undefined {
  const i = set.options.indexOf('netmask');
  const v = i >= 0 ? set.options[i + 1] : undefined;
  return v !== undefined && /^\d{1,2}$/.test(v) && Number(v) <= 32 ? Number(v) : undefined;
}

/** Members with their nomatch flag (`entries` when the parser kept per-member options). */
function membersOf(set: IpSet): { member: string; nomatch: boolean }[] {
  if (set.entries !== undefined) return set.entries.map((e) => ({ member: e.member, nomatch: e.nomatch }));
  return set.members.map((m) => {
    const words = m.trim().split(/\s+/);
    return { member: words[0] ?? '', nomatch: words.includes('nomatch') };
  });
}

function compileSet(set: IpSet): CompiledSet {
  const dims = TYPE_DIMS[set.type] ?? [];
  const fixed = set.type === 'hash:ip' ? netmaskOption(set) : undefined;
  const lensSeen: Set<number>[] = dims.map(() => new Set<number>());
  const elements = new Map<string, boolean>();
  const fi = set.options.indexOf('family');
  const cs: CompiledSet = { dims, lens: [], elements, inet6: fi >= 0 && set.options[fi + 1] === 'inet6' };
  for (const { member, nomatch } of membersOf(set)) {
    const parts = member.split(',');
    const key: string[] = [];
    let ok = parts.length === dims.length;
    for (let d = 0; ok && d < dims.length; d++) {
      const p = parts[d] as string;
      const dim = dims[d] as Dim;
      if (dim === 'addr') {
        const a = addrPart(p, fixed);
        if (a === undefined) ok = false;
        else {
          key.push(`${a.net}/${a.len}`);
          lensSeen[d]?.add(a.len);
        }
      } else {
        const k = portKey(p, dim);
        if (k === undefined) ok = false;
        else key.push(k);
      }
    }
    if (!ok) {
      cs.unreadable ??= `set ${set.name} (${set.type}): element "${member}" not understood`;
      continue;
    }
    elements.set(key.join('|'), nomatch && NOMATCH_TYPES.has(set.type));
  }
  cs.lens = lensSeen.map((s) => [...s].sort((a, b) => b - a));
  return cs;
}

const cache = new WeakMap<IpSet, CompiledSet>();

function compiled(set: IpSet): CompiledSet {
  let c = cache.get(set);
  if (c === undefined) {
    c = compileSet(set);
    cache.set(set, c);
  }
  return c;
}

function packetPortKey(p: Packet, src: boolean, dim: Dim): string | undefined {
  if (p.proto === 'tcp' || p.proto === 'udp') {
    const port = src ? p.sport : p.dport;
    return dim === 'anyport' ? `any:${port}` : `${PROTO_NUMBER[p.proto]}:${port}`;
  }
  if (dim === 'anyport') return undefined;
  if (p.proto === 'icmp') return p.icmpType === undefined ? undefined : `1:${p.icmpType << 8}`;
  return `${PROTO_NUMBER[p.proto]}:0`;
}

/** Tries every combination of prefix lengths, longest first per dimension, like mtype_test_cidrs. */
function lookup(cs: CompiledSet, packet: Packet, flags: readonly boolean[]): boolean | 'nomatch' {
  const parts: (number | string)[] = [];
  for (let d = 0; d < cs.dims.length; d++) {
    const dim = cs.dims[d] as Dim;
    const src = flags[d] as boolean;
    if (dim === 'addr') parts.push(src ? packet.src : packet.dst);
    else {
      const k = packetPortKey(packet, src, dim);
      if (k === undefined) return false;
      parts.push(k);
    }
  }
  const key: string[] = new Array<string>(cs.dims.length);
  const walk = (d: number): boolean | 'nomatch' => {
    if (d === cs.dims.length) {
      const e = cs.elements.get(key.join('|'));
      return e === undefined ? false : e ? 'nomatch' : true;
    }
    const v = parts[d] as number | string;
    if (typeof v === 'string') {
      key[d] = v;
      return walk(d + 1);
    }
    for (const len of cs.lens[d] ?? []) {
      key[d] = `${(v & maskOf(len)) >>> 0}/${len}`;
      const r = walk(d + 1);
      if (r !== false) return r;
    }
    return false;
  };
  return walk(0);
}

export interface SetTestOptions {
  /** One boolean per flag of `--match-set NAME src,dst`: true = src. */
  flags: readonly boolean[];
  returnNomatch: boolean;
}

/** Does the packet belong to the set? Unknown when the host has no such set or we cannot read it. */
export function testSet(env: NetfilterEnv, name: string, packet: Packet, opts: SetTestOptions, depth = 0): MatchResult {
  const set = env.ipset(name);
  if (set === undefined) {
    return {
      unknown: `ipset ${name} does not exist on the host (the kernel would have refused to load this rule, so the dump and the sets disagree)`,
    };
  }
  if (set.type === 'list:set') {
    if (depth > 0) return { unknown: `list:set ${name} inside another list:set` };
    for (const member of membersOf(set)) {
      const r = testSet(env, member.member, packet, opts, depth + 1);
      if (r !== false) return r;
    }
    return false;
  }
  const cs = compiled(set);
  if (cs.dims.length === 0) return { unknown: `ipset ${name}: type ${set.type} not supported` };
  if (cs.inet6) return false;
  if (opts.flags.length < cs.dims.length) return false;
  if (cs.unreadable !== undefined) return { unknown: cs.unreadable };
  const r = lookup(cs, packet, opts.flags);
  if (opts.returnNomatch && NOMATCH_TYPES.has(set.type)) return r === 'nomatch';
  return r === true;
}
