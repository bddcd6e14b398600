// NAT targets: parsing their ranges and choosing the new address and port the way
// net/netfilter/nf_nat_core.c get_unique_tuple() does for a connection's first packet.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Packet } from '../packet.ts';
import type { CompiledTarget, NatRange } from './compiled.ts';
import type { Hook, HookInput, NatDecision, NetfilterEnv, NfStep } from './types.ts';
import type { WalkState } from './walk.ts';

/** "[ADDR[-ADDR]][:PORT[-PORT]]" of --to-destination / --to-source (libxt_DNAT.c). */
export function parseNatRange(s: string | undefined): NatRange | undefined {
  if (s === undefined || s === '') return undefined;
  const colon = s.indexOf(':');
  const addrs = colon < 0 ? s : s.slice(0, colon);
  const ports = colon < 0 ? undefined : s.slice(colon + 1);
  const range: NatRange = {};
  if (addrs !== '') {
    const [a, b] = addrs.split('-');
    const lo = parseIpv4(a ?? '');
    const hi = b === undefined ? lo : parseIpv4(b);
    if (lo === undefined || hi === undefined || hi < lo || addrs.split('-').length > 2) return undefined;
    range.minAddr = lo;
    range.maxAddr = hi;
  }
  if (ports !== undefined) {
    const r = parsePortsOption(ports);
    if (r === undefined) return undefined;
    Object.assign(range, r);
  }
  return range;
}

/** "PORT[-PORT]" of --to-ports, or of the port part of a range ("/BASE" offsets are not read). */
export function parsePortsOption(s: string | undefined): { minPort: number; maxPort: number } | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s ?? '');
  if (m === null) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo > 65535 || hi > 65535 || hi < lo ? undefined : { minPort: lo, maxPort: hi };
}

export type NatResult =
  | { ok: true; packet: Packet; decision: Omit<NatDecision, 'step'>; changed: boolean; action: string }
  | { ok: false; verdict: 'drop' | 'unknown'; reason: string };

interface NatInput {
  hook: Hook;
  packet: Packet;
  inIface: string;
  outIface: string;
  nextHop: number | undefined;
  env: NetfilterEnv;
}

const hasPorts = (p: Packet): boolean => p.proto === 'tcp' || p.proto === 'udp';

/**
 * Port choice: a port already inside the range is kept (get_unique_tuple: "only bother mapping
 * if it's not already in range and unique"); otherwise the first port is used — the kernel
 * searches the range for a free one, which we cannot see, so we say so.
 */
function choosePort(current: number, range: NatRange, notes: string[]): number {
  if (range.minPort === undefined || range.maxPort === undefined) return current;
  if (current >= range.minPort && current <= range.maxPort && range.minPort !== range.maxPort) return current;
  if (range.minPort !== range.maxPort)
    notes.push(`port ${range.minPort} is the first of ${range.minPort}-${range.maxPort}; the kernel picks a free one`);
  return range.minPort;
}

function chooseAddr(range: NatRange, fallback: number, notes: string[]): number {
  if (range.minAddr === undefined || range.maxAddr === undefined) return fallback;
  if (range.maxAddr !== range.minAddr) {
    notes.push(
      `${formatIpv4(range.minAddr)} is the first of ${formatIpv4(range.minAddr)}-${formatIpv4(range.maxAddr)}; the kernel picks one by hashing the connection`,
    );
  }
  return range.minAddr;
}

function describe(kind: string, addr: number, port: number | undefined, notes: string[]): string {
  const to = port === undefined ? formatIpv4(addr) : `${formatIpv4(addr)}:${port}`;
  return `${kind} to ${to}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** The NAT of rule target `t` for `packet` at the hook and devices of `run`. */
export function applyNat(
  t: Extract<CompiledTarget, { kind: 'nat' }>,
  run: { input: HookInput; env: NetfilterEnv },
  packet: Packet,
): NatResult {
  return natFor(t, {
    hook: run.input.hook,
    packet,
    inIface: run.input.inIface ?? '',
    outIface: run.input.outIface ?? '',
    nextHop: run.input.nextHop,
    env: run.env,
  });
}

/**
 * A NAT that was set up, applied to the walk: the packet rewritten, the decision kept with the
 * step that made it, and conntrack's status bits set — nf_nat_setup_info sets IPS_DST_NAT /
 * IPS_SRC_NAT only when the tuple really changed.
 */
export function takeNat(s: WalkState, r: Extract<NatResult, { ok: true }>): void {
  s.packet = r.packet;
  s.nat = { ...r.decision, step: s.steps[s.steps.length - 1] as NfStep };
  if (r.changed)
    s.ct =
      r.decision.kind === 'dnat' || r.decision.kind === 'redirect' ? { ...s.ct, dnat: true } : { ...s.ct, snat: true };
}

function natFor(t: Extract<CompiledTarget, { kind: 'nat' }>, input: NatInput): NatResult {
  const p = input.packet;
  const notes: string[] = [];
  const dstSide = input.hook === 'PREROUTING' || input.hook === 'OUTPUT';
  const ports = hasPorts(p);
  switch (t.nat) {
    case 'dnat':
    case 'redirect': {
      let addr: number;
      if (t.nat === 'dnat') addr = chooseAddr(t.range, p.dst, notes);
      else if (input.hook === 'OUTPUT')
        addr = 0x7f000001; // nf_nat_redirect_ipv4: loopback for local traffic
      else {
        const a = input.env.primaryAddress(input.inIface);
        // nf_nat_redirect_ipv4: no address on the input device → NF_DROP.
        if (a === undefined)
          return {
            ok: false,
            verdict: 'drop',
            reason: `REDIRECT: ${input.inIface} has no IPv4 address, the kernel drops the packet`,
          };
        addr = a;
      }
      const port = ports ? choosePort(p.dport, t.range, notes) : undefined;
      const packet = { ...p, dst: addr, dport: port ?? p.dport };
      const kind = t.nat === 'dnat' ? 'dnat' : 'redirect';
      return {
        ok: true,
        packet,
        decision: port === undefined || !ports ? { kind, addr } : { kind, addr, port },
        changed: packet.dst !== p.dst || packet.dport !== p.dport,
        action: describe(t.nat === 'dnat' ? 'DNAT' : 'REDIRECT', addr, ports ? port : undefined, notes),
      };
    }
    case 'snat':
    case 'masquerade': {
      let addr: number;
      if (t.nat === 'snat') addr = chooseAddr(t.range, p.src, notes);
      else {
        const a = input.env.masqueradeSource(input.outIface, input.nextHop);
        // nf_nat_masquerade_ipv4: inet_select_addr() found nothing → "ate my IP address", NF_DROP.
        if (a === undefined)
          return {
            ok: false,
            verdict: 'drop',
            reason: `MASQUERADE: ${input.outIface} has no IPv4 address to use as source, the kernel drops the packet`,
          };
        addr = a;
      }
      let port: number | undefined = ports ? choosePort(p.sport, t.range, notes) : undefined;
      if (t.randomFully && ports) {
        notes.push('--random-fully: the source port is random');
        port = undefined;
      }
      const packet = { ...p, src: addr, sport: port ?? p.sport };
      const kind = t.nat === 'snat' ? 'snat' : 'masquerade';
      return {
        ok: true,
        packet,
        decision: port === undefined ? { kind, addr } : { kind, addr, port },
        changed: packet.src !== p.src || packet.sport !== p.sport || t.randomFully,
        action: describe(t.nat === 'snat' ? 'SNAT' : 'MASQUERADE', addr, port, notes),
      };
    }
    case 'netmap': {
      // xt_NETMAP.c netmap_tg4: keep the host bits, take the network bits from --to.
      const pre = t.netmapPrefix;
      if (pre === undefined) return { ok: false, verdict: 'unknown', reason: 'NETMAP without --to' };
      const old = dstSide ? p.dst : p.src;
      const addr = ((old & ~pre.mask) | (pre.net & pre.mask)) >>> 0;
      const packet = dstSide ? { ...p, dst: addr } : { ...p, src: addr };
      return {
        ok: true,
        packet,
        decision: { kind: dstSide ? 'dnat' : 'snat', addr },
        changed: addr !== old,
        action: describe('NETMAP', addr, undefined, notes),
      };
    }
  }
}
