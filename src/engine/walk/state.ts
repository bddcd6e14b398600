// The walk's state and vocabulary: what one branch carries from hop to hop, how a hop is recorded
// and how a branch ends. The stages (receive.ts, local-delivery.ts, output.ts, transmit.ts) call
// one another through `Ctx.stages`, so that none imports another: the kernel's paths loop (a
// forwarded packet is received by the next host, a decapsulated one re-enters its own).
import type { Said } from '../../model/said.ts';
import type { Route } from '../../model/types.ts';
import { formatIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import type { CtEntry, CtTables, Tuple } from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import type { BridgeIngress } from '../bridge.ts';
import type { ConntrackView, EvaluateHook, PhysdevView } from '../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import type { Hop, HopEffect, HopReason, HopStep, Trace, TraceVerdict } from '../trace.ts';
import type { ExternalEndpoint, PodEndpoint, World } from '../world.ts';

export type Endpoint =
  | { kind: 'host'; host: string; ip: Ipv4 }
  | { kind: 'pod'; pod: PodEndpoint }
  | { kind: 'external'; external: ExternalEndpoint };

export interface EngineOptions {
  evaluate: EvaluateHook;
  /** Longest walk (hops across hosts) before calling it a loop. */
  maxHops?: number;
}

/** A finished branch: the trace plus what the reply needs. */
export interface Leaf {
  trace: Trace;
  ct: CtTables;
  /** The packet as its source emitted it. */
  sent?: Packet;
  endpoint?: Endpoint;
  /** The packet as the endpoint received it. */
  packet?: Packet;
}

export interface State {
  direction: Trace['direction'];
  hops: Hop[];
  branch: string[];
  ct: CtTables;
  /** Hosts crossed so far (loop guard). */
  depth: number;
  /** The tuple as this host first saw it, to record its conntrack entry when the packet leaves. */
  firstTuple?: Tuple;
  /** The conntrack view in force for this packet on the current host. */
  ctView?: ConntrackView;
  /** The entry a reply matched on the current host (found before NAT is undone, used after). */
  ctEntry?: CtEntry;
  /** The packet as its source emitted it (after the kernel picked the source address). */
  sent?: Packet;
  /** The route that chose the current next hop: evidence when that next hop cannot be reached. */
  nextHopRoute?: Route;
  /** The bridge port a pod's packet entered its node by (hairpin: bridge.ts). */
  bridgeIngress?: BridgeIngress;
}

/** The stages that hand a packet on, each in its own module (see the top of this file). */
export interface Stages {
  /** A packet arrives on `dev` of `h` (receive.ts). */
  receive(ctx: Ctx, st: State, h: HostNet, dev: string, p: Packet, physdevIn?: string): Leaf[];
  /** A packet leaves `h` through its output path (output.ts). */
  localOut(ctx: Ctx, st: State, h: HostNet, p: Packet, o?: { oif?: string; dnatFrom?: Packet }): Leaf[];
  /** A packet passed LOCAL_IN of `h` (local-delivery.ts). */
  deliverLocal(ctx: Ctx, st: State, h: HostNet, dev: string, p: Packet): Leaf[];
  /** POSTROUTING, then transmission on `oif` (transmit.ts). */
  postrouting(
    ctx: Ctx,
    st: State,
    h: HostNet,
    oif: string,
    nextHop: Ipv4,
    p: Packet,
    inIface: string | undefined,
    /** The bridge ports of a bridged frame (walk/bridged.ts). */
    physdev?: PhysdevView,
  ): Leaf[];
}

export interface Ctx {
  world: World;
  opt: Required<EngineOptions>;
  stages: Stages;
}

/** An encapsulated packet's outer header ("VXLAN vni 1 A → B"); undefined for a plain one. */
export function outerHeader(p: Packet): string | undefined {
  if (p.inner === undefined) return undefined;
  return `${p.proto === 'ipip' ? 'IPIP' : `VXLAN vni ${p.vni ?? '?'}`} ${formatIpv4(p.src)} → ${formatIpv4(p.dst)}`;
}

export function describePacket(p: Packet): string {
  if (p.inner !== undefined) return `${outerHeader(p)} [${describePacket(p.inner)}]`;
  const ports =
    p.proto === 'tcp' || p.proto === 'udp'
      ? `${formatIpv4(p.src)}:${p.sport} → ${formatIpv4(p.dst)}:${p.dport}`
      : `${formatIpv4(p.src)} → ${formatIpv4(p.dst)}`;
  return `${p.proto} ${ports}`;
}

export function hop(
  st: State,
  node: string,
  step: HopStep,
  detail: Said,
  evidence: Said[] = [],
  device?: string,
  reason?: HopReason,
): State {
  const h: Hop = { node, step, detail, evidence };
  if (device !== undefined) h.device = device;
  if (reason !== undefined) h.reason = reason;
  return { ...st, hops: [...st.hops, h] };
}

/** The effect of a route lookup that sends `p` out of `dev` to `gateway`. */
export function routed(dev: string, gateway: Ipv4 | undefined, p: Packet, rerouted = false): HopEffect {
  const outer = outerHeader(p);
  return {
    kind: 'routed',
    dev,
    ...(gateway !== undefined ? { via: formatIpv4(gateway) } : {}),
    ...(outer !== undefined ? { outer } : {}),
    ...(rerouted ? { rerouted: true as const } : {}),
  };
}

/** Records what the last hop did to the packet (trace.ts HopEffect). */
export function withEffect(st: State, effect: HopEffect): State {
  const last = st.hops.at(-1);
  if (last === undefined) return st;
  return { ...st, hops: [...st.hops.slice(0, -1), { ...last, effect }] };
}

export function end(st: State, verdict: TraceVerdict, extra: Partial<Trace> = {}): Leaf {
  const trace: Trace = { direction: st.direction, verdict, hops: st.hops, branch: st.branch, ...extra };
  if (verdict !== 'delivered' && st.hops.length > 0) trace.decisive = st.hops[st.hops.length - 1]!;
  return { trace, ct: st.ct, ...(st.sent !== undefined ? { sent: st.sent } : {}) };
}

export function die(
  st: State,
  node: string,
  step: HopStep,
  verdict: TraceVerdict,
  reason: HopReason,
  detail: Said,
  evidence: Said[],
  device?: string,
): Leaf {
  return end(hop(st, node, step, detail, evidence, device, reason), verdict);
}

/** The loop guard: a walk longer than `maxHops` hosts is a routing loop. */
export function routingLoop(ctx: Ctx, st: State, node: string, step: HopStep, dev?: string): Leaf[] | undefined {
  if (st.depth <= ctx.opt.maxHops) return undefined;
  return [
    die(
      st,
      node,
      step,
      'dropped',
      { kind: 'routing-loop' },
      `routing loop: more than ${ctx.opt.maxHops} hops`,
      [],
      dev,
    ),
  ];
}

export function seen(p: Packet): NonNullable<Trace['seenAs']> {
  const s: NonNullable<Trace['seenAs']> = { src: formatIpv4(p.src), dst: formatIpv4(p.dst) };
  if (p.proto === 'tcp' || p.proto === 'udp') {
    s.sport = p.sport;
    s.dport = p.dport;
  }
  return s;
}
