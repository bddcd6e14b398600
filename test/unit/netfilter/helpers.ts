// Shared by the netfilter evaluator tests: rulesets parsed from captured iptables-save output,
// a small host (NetfilterEnv) described by its addresses, and packet/conntrack builders.
import assert from 'node:assert/strict';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { parseIpsetSave } from '../../../src/model/parse/ipset.ts';
import { parseIptablesSave } from '../../../src/model/parse/iptables-save.ts';
import type { IpSet, IptablesBackend, IptRuleset } from '../../../src/model/types.ts';
import type { Packet, Protocol } from '../../../src/engine/packet.ts';
import type { Hop } from '../../../src/engine/trace.ts';
import { place } from '../../../src/engine/walk/hook.ts';
import type {
  AddrType,
  ConntrackView,
  CtState,
  Hook,
  HookInput,
  NetfilterEnv,
  NfOutcome,
  PhysdevView,
} from '../../../src/engine/netfilter/types.ts';

export { fixture };

/** A captured iptables-save dump, parsed. */
export function ruleset(path: string, backend: IptablesBackend): IptRuleset {
  const parsed = parseIptablesSave(fixture(path), backend);
  assert.deepEqual(parsed.warnings, [], `parser warnings for ${path}`);
  return parsed.value;
}

/** A captured `ipset save`, parsed. */
export function ipsets(path: string): IpSet[] {
  const parsed = parseIpsetSave(fixture(path));
  assert.deepEqual(parsed.warnings, [], `parser warnings for ${path}`);
  return parsed.value;
}

export function ip(s: string): number {
  const n = parseIpv4(s);
  if (n === undefined) throw new Error(`bad address ${s}`);
  return n;
}

export interface PacketSpec {
  src: string;
  dst: string;
  proto?: Protocol;
  sport?: number;
  dport?: number;
  icmpType?: number;
  mark?: number;
  connmark?: number;
  length?: number;
}

export function packet(p: PacketSpec): Packet {
  const proto = p.proto ?? 'tcp';
  const ports = proto === 'tcp' || proto === 'udp';
  const out: Packet = {
    src: ip(p.src),
    dst: ip(p.dst),
    proto,
    sport: ports ? (p.sport ?? 40000) : 0,
    dport: ports ? (p.dport ?? 80) : 0,
    mark: p.mark ?? 0,
    connmark: p.connmark ?? 0,
    length: p.length ?? 60,
  };
  if (p.icmpType !== undefined) out.icmpType = p.icmpType;
  return out;
}

/** The conntrack view of a packet: its own tuple as the original one unless told otherwise. */
export function ct(pkt: Packet, state: CtState = 'NEW', extra: Partial<ConntrackView> = {}): ConntrackView {
  return {
    state,
    direction: 'ORIGINAL',
    dnat: false,
    snat: false,
    origSrc: pkt.src,
    origDst: pkt.dst,
    origDport: pkt.dport,
    ...extra,
  };
}

export interface InputSpec {
  hook: Hook;
  packet: PacketSpec;
  in?: string;
  out?: string;
  nextHop?: string;
  state?: CtState;
  ct?: Partial<ConntrackView>;
  physdev?: PhysdevView;
}

export function hookInput(s: InputSpec): HookInput {
  const pkt = packet(s.packet);
  const input: HookInput = { hook: s.hook, packet: pkt, ct: ct(pkt, s.state ?? 'NEW', s.ct ?? {}) };
  if (s.in !== undefined) input.inIface = s.in;
  if (s.out !== undefined) input.outIface = s.out;
  if (s.nextHop !== undefined) input.nextHop = ip(s.nextHop);
  if (s.physdev !== undefined) input.physdev = s.physdev;
  return input;
}

export interface HostSpec {
  /** Device → its addresses (the first is the primary one); every address is LOCAL. */
  addrs?: Record<string, string[]>;
  /** Directed broadcast addresses of the host's subnets. */
  broadcast?: string[];
  sets?: IpSet[];
  /** Reverse-path answer for -m rpfilter; default: passes. */
  rpfilter?: (p: Packet, iface: string | undefined) => boolean;
  /** The main table for `fib ... oif`, "CIDR" → device (longest prefix wins; no policy rules, marks ignored). */
  routes?: Record<string, string>;
}

/**
 * A host as the engine would describe it: addrType follows the kernel's inet_dev_addr_type()
 * (0.0.0.0 and 255.255.255.255 are BROADCAST, 224/4 MULTICAST, the host's addresses LOCAL — only
 * on their own device when a device is given — everything else UNICAST); MASQUERADE and REDIRECT
 * take the device's first address.
 */
export function host(spec: HostSpec = {}): NetfilterEnv {
  const addrs = spec.addrs ?? {};
  const byAddr = new Map<number, string>();
  for (const [dev, list] of Object.entries(addrs)) for (const a of list) byAddr.set(ip(a), dev);
  const bcast = new Set((spec.broadcast ?? []).map(ip));
  const sets = new Map((spec.sets ?? []).map((s) => [s.name, s]));
  const first = (dev: string): number | undefined => {
    const a = addrs[dev]?.[0];
    return a === undefined ? undefined : ip(a);
  };
  return {
    addrType(addr: number, limitIface?: string): AddrType {
      if (addr === 0 || addr === 0xffffffff) return 'BROADCAST';
      if (addr >>> 28 === 0xe) return 'MULTICAST';
      const dev = byAddr.get(addr);
      if (dev !== undefined) return limitIface === undefined || limitIface === dev ? 'LOCAL' : 'UNICAST';
      if (bcast.has(addr)) return 'BROADCAST';
      return 'UNICAST';
    },
    ipset: (name) => sets.get(name),
    masqueradeSource: (out) => first(out),
    primaryAddress: (dev) => first(dev),
    rpfilterPasses: (p, iface) => (spec.rpfilter ? spec.rpfilter(p, iface) : true),
    fibOif(q) {
      if (byAddr.has(q.dst)) return ''; // a local route: nft_fib4_eval stores 0
      let best: { len: number; dev: string } | undefined;
      for (const [cidr, dev] of Object.entries(spec.routes ?? {})) {
        const [a, l] = cidr.split('/');
        const len = Number(l ?? 32);
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        if (((ip(a as string) ^ q.dst) & mask) === 0 && (best === undefined || len > best.len)) best = { len, dev };
      }
      if (best === undefined) return '';
      return q.via === undefined ? best.dev : q.via === best.dev ? q.via : '';
    },
  };
}

export const fmt = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** "action @ table/chain" of every step, for readable assertions on the path taken. */
export function path(o: NfOutcome): string[] {
  return o.steps.map((s) => `${s.table}/${s.chain}: ${s.action}`);
}

/** The only outcome; fails when the hook branched. */
export function only(outcomes: NfOutcome[]): NfOutcome {
  assert.equal(
    outcomes.length,
    1,
    `expected one outcome, got ${outcomes.length}: ${outcomes.map((o) => o.verdict).join(', ')}`,
  );
  return outcomes[0] as NfOutcome;
}

/** Probability of a branch, from the "(p=…)" the walk writes into each label. */
export function branchProbability(o: NfOutcome): number {
  return o.branch.reduce((acc, b) => {
    const m = /\(p=([0-9.]+)\)$/.exec(b);
    assert.ok(m, `branch label without probability: ${b}`);
    return acc * Number(m[1]);
  }, 1);
}

/** The hop the walk makes of a hook's drop (src/engine/walk/hook.ts): where it happened and the rules' lines. */
export function dropHop(node: string, o: NfOutcome): Hop {
  assert.equal(o.verdict, 'drop');
  return {
    node,
    step: 'forward',
    detail: 'dropped',
    reason: { kind: 'netfilter-drop', ...place(o) },
    evidence: o.steps.map((s) => s.raw),
  };
}
