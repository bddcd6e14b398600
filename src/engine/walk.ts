// The packet walk: a packet through the kernel's receive, forward and output paths of each
// host, in the kernel's order, across links and tunnels, until it is delivered or dies.
//
//   receive:  PREROUTING → input route (martians, fib, forwarding, rp_filter) → INPUT → deliver/decap
//                                                                             → FORWARD → POSTROUTING → transmit
//   output:   route (source selection) → OUTPUT → (re-route) → POSTROUTING → transmit
//   transmit: VXLAN/IPIP encapsulation, or the neighbour on the link → the next host's receive
//
// References: net/ipv4/ip_input.c, route.c (ip_route_input_slow, ip_route_output_key_hash),
// ip_forward.c, ip_output.c, fib_frontend.c (fib_validate_source), drivers/net/vxlan, ipip.c.
import { formatIpv4, parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import { renderLink, renderRoute, renderRule } from '../model/render/iproute2.ts';
import {
  addEntry,
  establishedView,
  findReplyEntry,
  newView,
  tupleOf,
  undoDnat,
  undoSnat,
  unmatchedReplyView,
  invert,
} from './conntrack.ts';
import type { CtEntry, CtTables, Tuple } from './conntrack.ts';
import type { HostNet } from './host-net.ts';
import { forwarding, routeLocalnet } from './kernel/sysctl.ts';
import { netfilterEnv } from './netfilter-env.ts';
import type { ConntrackView, EvaluateHook, Hook, NfOutcome, PhysdevView } from './netfilter/types.ts';
import type { Packet } from './packet.ts';
import { describeFibFailure, fibLookup, nextHops, outputLookup, preferredSource } from './routing.ts';
import type { FibFailure } from './routing.ts';
import { collectHint, describeMissing, ipvsGap, missingSection, NEEDS } from './data-gaps.ts';
import type { DataMissing } from './data-gaps.ts';
import { validateSource } from './rpfilter.ts';
import { decapsulator, encapsulation, isTunnel } from './tunnel.ts';
import type { RpfResult } from './rpfilter.ts';
import type { Hop, HopReason, HopStep, NetfilterPlace, Trace, TraceVerdict } from './trace.ts';
import { unresolvedPodGateway } from './pod-gateway.ts';
import { directEntry, externalEntry, podAttachment, resolveReceiver } from './world.ts';
import type { ExternalEndpoint, PodEndpoint, World } from './world.ts';

export type Endpoint =
  | { kind: 'host'; host: string; ip: Ipv4 }
  | { kind: 'pod'; pod: PodEndpoint }
  | { kind: 'external'; external: ExternalEndpoint };

export interface EngineOptions {
  evaluate: EvaluateHook;
  /** Longest walk (hops across hosts) before calling it a loop. */
  maxHops?: number;
  /** Most branches (load balancing × multipath) explored. */
  maxBranches?: number;
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

interface State {
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
  nextHopRoute?: string;
}

interface Ctx {
  world: World;
  opt: Required<EngineOptions>;
}

const fmt = formatIpv4;

export function describePacket(p: Packet): string {
  if (p.inner !== undefined)
    return `${p.proto === 'ipip' ? 'IPIP' : `VXLAN vni ${p.vni ?? '?'}`} ${fmt(p.src)} → ${fmt(p.dst)} [${describePacket(p.inner)}]`;
  const ports =
    p.proto === 'tcp' || p.proto === 'udp'
      ? `${fmt(p.src)}:${p.sport} → ${fmt(p.dst)}:${p.dport}`
      : `${fmt(p.src)} → ${fmt(p.dst)}`;
  return `${p.proto} ${ports}`;
}

function hop(
  st: State,
  node: string,
  step: HopStep,
  detail: string,
  evidence: string[] = [],
  device?: string,
  reason?: HopReason,
): State {
  const h: Hop = { node, step, detail, evidence };
  if (device !== undefined) h.device = device;
  if (reason !== undefined) h.reason = reason;
  return { ...st, hops: [...st.hops, h] };
}

function end(st: State, verdict: TraceVerdict, extra: Partial<Trace> = {}): Leaf {
  const trace: Trace = { direction: st.direction, verdict, hops: st.hops, branch: st.branch, ...extra };
  if (verdict !== 'delivered' && st.hops.length > 0) trace.decisive = st.hops[st.hops.length - 1]!;
  return { trace, ct: st.ct, ...(st.sent !== undefined ? { sent: st.sent } : {}) };
}

function die(
  st: State,
  node: string,
  step: HopStep,
  verdict: TraceVerdict,
  reason: HopReason,
  detail: string,
  evidence: string[],
  device?: string,
): Leaf {
  return end(hop(st, node, step, detail, evidence, device, reason), verdict);
}

/**
 * Ends the trace as unknown: `decision` rests on a section of `gap.node` that the snapshot does not
 * vouch for. For every decision that reads collected state (NEEDS in data-gaps.ts).
 */
function unknownWithout(st: State, gap: DataMissing, step: HopStep, decision: string, device?: string): Leaf {
  return die(st, gap.node, step, 'unknown', gap, describeMissing(gap, decision), [collectHint(gap)], device);
}

/** The first section of `sections` that host `h` lacks, if any. */
function gapOn(h: HostNet, sections: readonly string[]): DataMissing | undefined {
  return missingSection(h.state, sections);
}

/**
 * A node whose datapath the engine does not model (eBPF service load balancing, masquerading or
 * host firewall) is not walked: its iptables are not the whole story.
 */
function unmodelledNode(ctx: Ctx, st: State, h: HostNet, dev?: string): Leaf | undefined {
  const because = ctx.world.datapath?.get(h.name)?.notModelled ?? [];
  if (because.length === 0) return undefined;
  return die(
    st,
    h.name,
    'enter',
    'unknown',
    { kind: 'datapath-not-modelled', node: h.name, because },
    `${h.name} runs a datapath netcheck does not walk: ${because.join('; ')}`,
    because,
    dev,
  );
}

/** Checks every host must pass before the walk decides anything on it: a walked datapath, known devices. */
function enterable(ctx: Ctx, st: State, h: HostNet, dev?: string): Leaf | undefined {
  const bpf = unmodelledNode(ctx, st, h, dev);
  if (bpf !== undefined) return bpf;
  const gap = gapOn(h, NEEDS.links);
  return gap === undefined ? undefined : unknownWithout(st, gap, 'enter', 'its devices and addresses', dev);
}

// ------------------------------------------------------------------------------------- netfilter

/** The table and chain of the step that decided, for the typed reason. */
function place(o: NfOutcome): { at?: NetfilterPlace } {
  const last = o.steps.at(-1);
  return last === undefined ? {} : { at: { backend: last.backend, table: last.table, chain: last.chain } };
}

/** " in <backend> <table>/<chain>" of the step that decided, so a fix can name the right table. */
function where(o: NfOutcome): string {
  const at = place(o).at;
  return at === undefined
    ? ''
    : ` in ${at.backend === 'legacy' ? 'iptables-legacy' : 'iptables-nft'} ${at.table}/${at.chain}`;
}

function runHook(
  ctx: Ctx,
  st: State,
  h: HostNet,
  hook: Hook,
  p: Packet,
  io: { inIface?: string; outIface?: string; nextHop?: Ipv4; physdev?: PhysdevView },
  next: (st: State, p: Packet, o: NfOutcome) => Leaf[],
): Leaf[] {
  const nfGap = gapOn(h, NEEDS.netfilter);
  if (nfGap !== undefined)
    return [unknownWithout(st, nfGap, hook.toLowerCase() as HopStep, `what ${hook} does`, io.inIface ?? io.outIface)];
  const ct = st.ctView ?? newView(p);
  const outcomes = ctx.opt.evaluate(h.state.iptables, { hook, packet: p, ct, ...io }, netfilterEnv(h));
  const step = hook.toLowerCase() as HopStep;
  const dev = io.inIface ?? io.outIface;
  return outcomes.flatMap((o) => {
    const evidence = o.steps.map((s) => s.raw);
    const st2: State = { ...st, ctView: o.ct, branch: [...st.branch, ...o.branch] };
    switch (o.verdict) {
      case 'drop':
        return [
          die(
            st2,
            h.name,
            step,
            'dropped',
            { kind: 'netfilter-drop', ...place(o) },
            `${hook}: dropped (${o.steps.at(-1)?.action ?? 'DROP'})${where(o)}`,
            evidence,
            dev,
          ),
        ];
      case 'reject':
        return [
          die(
            st2,
            h.name,
            step,
            'rejected',
            { kind: 'netfilter-reject', ...place(o) },
            `${hook}: rejected (${o.rejectWith ?? 'icmp-port-unreachable'})${where(o)}`,
            evidence,
            dev,
          ),
        ];
      case 'unknown': {
        // A set match the rule could not decide, on a host whose sets were not collected: that is why.
        const setGap = o.unknown?.rule.matches.some((m) => m.module === 'set') ? gapOn(h, NEEDS.ipsets) : undefined;
        if (setGap !== undefined)
          return [unknownWithout(st2, setGap, step, `whether "${o.unknown!.rule.raw}" matches`, dev)];
        return [
          die(
            st2,
            h.name,
            step,
            'unknown',
            { kind: 'not-modelled' },
            `${hook}: cannot evaluate: ${o.unknown?.reason ?? 'unknown rule'}`,
            o.unknown !== undefined ? [...evidence, o.unknown.rule.raw] : evidence,
            dev,
          ),
        ];
      }
      case 'accept': {
        const changed = o.nat !== undefined ? `; ${o.nat.step.action}` : '';
        // Only rules that matched are evidence; a chain policy that accepted says nothing.
        const matched = o.steps.filter((x) => x.rule !== null).map((x) => x.raw);
        const st3 =
          matched.length > 0 || o.nat !== undefined
            ? hop(st2, h.name, step, `${hook}: accepted${changed} → ${describePacket(o.packet)}`, matched, dev)
            : st2;
        return next(st3, o.packet, o);
      }
    }
  });
}

// ------------------------------------------------------------------------------------- receive

/** A packet arrives on `dev` of host `h` (ip_rcv → PREROUTING). */
export function receive(ctx: Ctx, st0: State, h: HostNet, dev: string, p0: Packet, physdevIn?: string): Leaf[] {
  if (st0.depth > ctx.opt.maxHops)
    return [
      die(
        st0,
        h.name,
        'enter',
        'dropped',
        { kind: 'routing-loop' },
        `routing loop: more than ${ctx.opt.maxHops} hops`,
        [],
        dev,
      ),
    ];
  let st: State = { ...st0, depth: st0.depth + 1, firstTuple: tupleOf(p0), sent: st0.sent ?? p0 };
  st = hop(
    st,
    h.name,
    'enter',
    `arrives on ${dev}${physdevIn !== undefined ? ` (bridge port ${physdevIn})` : ''}: ${describePacket(p0)}`,
    [],
    dev,
  );
  const blocked = enterable(ctx, st, h, dev);
  if (blocked !== undefined) return [blocked];
  const link = h.links.get(dev);
  if (link !== undefined && !link.up)
    return [die(st, h.name, 'enter', 'dropped', { kind: 'link-down' }, `${dev} is down`, [link.raw], dev)];

  // Conntrack (PREROUTING, before nat): a reply to a connection this host saw has its SNAT undone.
  const { st: st1, p } = conntrackIn(st, h, p0, dev);
  st = st1;
  const physdev: PhysdevView | undefined = physdevIn !== undefined ? { in: physdevIn, bridged: false } : undefined;
  return runHook(ctx, st, h, 'PREROUTING', p, { inIface: dev, ...(physdev ? { physdev } : {}) }, (s, q) =>
    routeInput(ctx, s, h, dev, q, physdev),
  );
}

/**
 * Conntrack at the first hook of a host (PREROUTING or OUTPUT): a packet matching the reply
 * tuple of an entry is ESTABLISHED and has its SNAT undone (DST manip); anything else is a first
 * packet.
 */
function conntrackIn(st0: State, h: HostNet, p: Packet, dev: string | undefined): { st: State; p: Packet } {
  const entry = findReplyEntry(st0.ct, h.name, p);
  if (entry === undefined) {
    const { ctEntry: _dropped, ...rest } = st0;
    void _dropped;
    return { st: { ...rest, ctView: st0.direction === 'reply' ? unmatchedReplyView(p) : newView(p) }, p };
  }
  let st: State = { ...st0, ctView: establishedView(entry), ctEntry: entry };
  const q = undoSnat(p, entry);
  if (q !== p)
    st = hop(
      st,
      h.name,
      'conntrack',
      `reply of a source-NATed connection: destination restored to ${fmt(q.dst)}`,
      [],
      dev,
    );
  return { st, p: q };
}

/** Conntrack at the last hook (POSTROUTING or INPUT): a reply has its DNAT undone (SRC manip). */
function conntrackOut(st: State, h: HostNet, p: Packet, dev: string | undefined): { st: State; p: Packet } {
  const entry = st.ctEntry;
  if (st.direction !== 'reply' || entry === undefined) return { st, p };
  const q = undoDnat(p, entry);
  if (q === p) return { st, p };
  return {
    st: hop(
      st,
      h.name,
      'conntrack',
      `reply of a destination-NATed connection: source restored to ${fmt(q.src)}`,
      [],
      dev,
    ),
    p: q,
  };
}

function isMartianSource(h: HostNet, dev: string, src: Ipv4): string | undefined {
  if (src >>> 28 === 0xe || src === 0xffffffff) return 'multicast or broadcast source';
  if (src >>> 24 === 0) return 'source in 0.0.0.0/8';
  if (src >>> 24 === 127 && !routeLocalnet(h.state.sysctls, dev))
    return 'loopback source on a non-loopback device (route_localnet = 0)';
  return undefined;
}

/** ip_route_input_slow(): where does a received packet go? */
function routeInput(ctx: Ctx, st: State, h: HostNet, dev: string, p: Packet, physdev: PhysdevView | undefined): Leaf[] {
  const sysGap = gapOn(h, NEEDS.sysctl);
  if (p.src >>> 24 === 127 && sysGap !== undefined)
    return [
      unknownWithout(st, sysGap, 'route', `whether a loopback source is routable on ${dev} (route_localnet)`, dev),
    ];
  const martian = isMartianSource(h, dev, p.src);
  if (martian !== undefined)
    return [
      die(
        st,
        h.name,
        'route',
        'dropped',
        { kind: 'martian-source' },
        `martian source ${fmt(p.src)}: ${martian}`,
        [],
        dev,
      ),
    ];
  const routeGap = gapOn(h, NEEDS.routing);
  if (routeGap !== undefined) return [unknownWithout(st, routeGap, 'route', `where ${fmt(p.dst)} is routed`, dev)];
  const fib = fibLookup(h, { dst: p.dst, src: p.src, iif: dev, mark: p.mark, tos: 0 });
  const fwd = forwarding(h.state.sysctls, dev);
  if (!fib.ok) {
    // Without the sysctls the missing route is still a fault; only the "forwarding off" variant needs them.
    if (sysGap === undefined && fwd.value === 0 && fib.error !== 'unknown')
      return [
        die(
          st,
          h.name,
          'route',
          'dropped',
          { kind: 'forwarding-disabled' },
          `not for this host and forwarding is off on ${dev}`,
          fwd.lines,
          dev,
        ),
      ];
    return [failRoute(st, h, fib, p.dst, dev)];
  }
  const r = fib.route;
  const evidence = [
    ...(fib.rule !== undefined && fib.rule.priority !== 0 ? [renderRule(fib.rule)] : []),
    renderRoute(r),
  ];
  if (r.type === 'local') {
    const rpf = validateSource(h, { src: p.src, dst: p.dst, iif: dev, mark: p.mark, tos: 0 });
    if (!rpf.pass) return [rpfDrop(st, h, dev, p, rpf)];
    const s2 = hop(st, h.name, 'route', `${fmt(p.dst)} is local (${renderRoute(r)})`, evidence, dev);
    return runHook(ctx, s2, h, 'INPUT', p, { inIface: dev, ...(physdev ? { physdev } : {}) }, (s, q) =>
      deliverLocal(ctx, s, h, dev, q),
    );
  }
  if (r.type === 'broadcast' || r.type === 'multicast') {
    return [
      die(
        st,
        h.name,
        'route',
        'unknown',
        { kind: 'not-modelled' },
        `${fmt(p.dst)} is a ${r.type} address here: not modelled`,
        [renderRoute(r)],
        dev,
      ),
    ];
  }
  if (sysGap !== undefined) return [unknownWithout(st, sysGap, 'forward', `whether forwarding is on for ${dev}`, dev)];
  if (fwd.value === 0)
    return [
      die(
        st,
        h.name,
        'forward',
        'dropped',
        { kind: 'forwarding-disabled' },
        `${fmt(p.dst)} must be forwarded but forwarding is off on ${dev} (dropped silently)`,
        [...fwd.lines, renderRoute(r)],
        dev,
      ),
    ];
  return nextHops(r).flatMap((nh, i, all) => {
    const oif = nh.dev;
    let s =
      all.length > 1
        ? {
            ...st,
            branch: [
              ...st.branch,
              `multipath next hop ${i + 1}/${all.length}: ${nh.gateway !== undefined ? fmt(nh.gateway) : ''} dev ${oif ?? '?'}`,
            ],
          }
        : st;
    if (oif === undefined)
      return [
        die(
          s,
          h.name,
          'route',
          'unknown',
          { kind: 'not-modelled' },
          `route has no output device: ${renderRoute(r)}`,
          [renderRoute(r)],
          dev,
        ),
      ];
    const rpf = validateSource(h, { src: p.src, dst: p.dst, iif: dev, oif, mark: p.mark, tos: 0 });
    if (!rpf.pass) return [rpfDrop(s, h, dev, p, rpf)];
    s = hop(
      s,
      h.name,
      'route',
      `forward to ${fmt(p.dst)} via ${nh.gateway !== undefined ? `${fmt(nh.gateway)} ` : ''}dev ${oif}`,
      [...evidence, ...((rpf.mode ?? 0) > 0 ? rpf.evidence.slice(0, 2) : [])],
      dev,
    );
    s = { ...s, nextHopRoute: renderRoute(r) };
    const gw = nh.gateway ?? p.dst;
    return runHook(
      ctx,
      s,
      h,
      'FORWARD',
      p,
      { inIface: dev, outIface: oif, nextHop: gw, ...(physdev ? { physdev } : {}) },
      (s2, q) => postrouting(ctx, s2, h, oif, gw, q, dev),
    );
  });
}

function rpfDrop(st: State, h: HostNet, dev: string, p: Packet, rpf: RpfResult): Leaf {
  if (rpf.missing !== undefined)
    return unknownWithout(
      st,
      rpf.missing,
      'rp-filter',
      `whether the reverse-path filter on ${dev} passes ${fmt(p.src)}`,
      dev,
    );
  if (rpf.reason === 'unknown')
    return die(
      st,
      h.name,
      'rp-filter',
      'unknown',
      { kind: 'not-modelled' },
      `reverse-path filter on ${dev}: cannot tell whether ${fmt(p.src)} passes`,
      rpf.evidence,
      dev,
    );
  if (rpf.reason === 'martian-source')
    return die(
      st,
      h.name,
      'rp-filter',
      'dropped',
      { kind: 'martian-source' },
      `martian source ${fmt(p.src)} (an address of this host)`,
      rpf.evidence,
      dev,
    );
  return die(
    st,
    h.name,
    'rp-filter',
    'dropped',
    { kind: 'rp-filter', looseHelps: rpf.looseHelps !== false },
    `reverse-path filter drops ${fmt(p.src)} → ${fmt(p.dst)} arriving on ${dev}`,
    rpf.evidence,
    dev,
  );
}

function failRoute(st: State, h: HostNet, f: FibFailure, dst: Ipv4, dev?: string): Leaf {
  const verdict: TraceVerdict =
    f.error === 'no-route'
      ? 'no-route'
      : f.error === 'blackhole'
        ? 'dropped'
        : f.error === 'unknown'
          ? 'unknown'
          : 'rejected';
  const reason: HopReason =
    f.error === 'no-route'
      ? { kind: 'no-route' }
      : f.error === 'unknown'
        ? { kind: 'not-modelled' }
        : { kind: 'route-refused' };
  const evidence = [
    ...(f.rule !== undefined ? [renderRule(f.rule)] : []),
    ...(f.route !== undefined ? [renderRoute(f.route)] : []),
    ...f.notes,
  ];
  return die(st, h.name, 'route', verdict, reason, describeFibFailure(f, dst), evidence, dev);
}

// ------------------------------------------------------------------------------------- local delivery

function deliverLocal(ctx: Ctx, st0: State, h: HostNet, dev: string, p0: Packet): Leaf[] {
  const { st, p } = conntrackOut(st0, h, p0, dev);
  // Tunnel endpoints: the receive handlers of ipip.c and vxlan.c take the packet after LOCAL_IN.
  if (p.inner !== undefined) {
    const tun = decapsulator(h, p);
    if (tun === undefined) {
      return [
        die(
          st,
          h.name,
          'decapsulate',
          'dropped',
          { kind: 'no-decapsulation' },
          `${describePacket(p)} arrives but no ${p.proto === 'ipip' ? 'IPIP' : 'VXLAN'} device here accepts it`,
          [],
          dev,
        ),
      ];
    }
    const s2 = hop(
      recordEntry(st, h, p),
      h.name,
      'decapsulate',
      `decapsulated on ${tun}: ${describePacket(p.inner)}`,
      [renderLink(h.links.get(tun)!)],
      tun,
    );
    return receive(ctx, leaveHost(s2), h, tun, p.inner);
  }
  // IPVS takes a packet for one of its virtual servers at LOCAL_IN (ip_vs_core.c ip_vs_in_hook).
  const ipvsMissing = ctx.world.datapath?.get(h.name)?.ipvs === true ? ipvsGap(h.state) : undefined;
  if (ipvsMissing !== undefined)
    return [unknownWithout(st, ipvsMissing, 'ipvs', `whether IPVS takes ${fmt(p.dst)}:${p.dport}`, dev)];
  const ipvs = h.state.ipvs.filter((v) => v.protocol === p.proto && v.address === fmt(p.dst) && v.port === p.dport);
  if (ipvs.length > 0) return ipvsSchedule(ctx, st, h, p, ipvs[0]!);
  const s2 = recordEntry(st, h, p);
  const leaf = end(hop(s2, h.name, 'deliver', `delivered to ${h.name} (${fmt(p.dst)})`, [], dev), 'delivered', {
    seenAs: seen(p),
    deliveredTo: h.name,
  });
  return [{ ...leaf, endpoint: { kind: 'host', host: h.name, ip: p.dst }, packet: p }];
}

function seen(p: Packet): NonNullable<Trace['seenAs']> {
  const s: NonNullable<Trace['seenAs']> = { src: fmt(p.src), dst: fmt(p.dst) };
  if (p.proto === 'tcp' || p.proto === 'udp') {
    s.sport = p.sport;
    s.dport = p.dport;
  }
  return s;
}

/** kube-proxy IPVS: the virtual server (bound on kube-ipvs0) picks a real server; each is a branch. */
function ipvsSchedule(ctx: Ctx, st: State, h: HostNet, p: Packet, svc: (typeof h.state.ipvs)[number]): Leaf[] {
  if (svc.realServers.length === 0)
    return [
      die(
        st,
        h.name,
        'ipvs',
        'rejected',
        { kind: 'ipvs-no-real-server' },
        `IPVS virtual server ${svc.address}:${svc.port} has no real servers`,
        [svc.raw],
      ),
    ];
  return svc.realServers.flatMap((rs, i) => {
    const q: Packet = { ...p, dst: parseIpv4(rs.address) ?? p.dst, dport: rs.port };
    let s: State = {
      ...st,
      branch: [...st.branch, `IPVS real server ${i + 1}/${svc.realServers.length}: ${rs.address}:${rs.port}`],
    };
    s = hop(s, h.name, 'ipvs', `IPVS ${svc.address}:${svc.port} → ${rs.address}:${rs.port}`, [svc.raw, rs.raw]);
    s = { ...s, ctView: { ...(s.ctView ?? newView(p)), dnat: true } };
    // ip_vs_nat_xmit sends the packet through LOCAL_OUT and on to POSTROUTING.
    return localOut(ctx, s, h, q, { dnatFrom: p });
  });
}

/** Records this host's conntrack entry for the packet as it leaves (or is delivered). */
function recordEntry(st: State, h: HostNet, p: Packet): State {
  if (st.direction !== 'forward' || st.firstTuple === undefined) return st;
  const first = st.firstTuple;
  const now = tupleOf(p);
  const e = {
    orig: first,
    reply: invert(now),
    dnat: first.dst !== now.dst || first.dport !== now.dport,
    snat: first.src !== now.src || first.sport !== now.sport,
  };
  return { ...st, ct: addEntry(st.ct, h.name, e) };
}

// ------------------------------------------------------------------------------------- output

/** ip_route_output → OUTPUT → (re-route) → POSTROUTING. */
export function localOut(
  ctx: Ctx,
  st0: State,
  h: HostNet,
  p0: Packet,
  o: { oif?: string; dnatFrom?: Packet } = {},
): Leaf[] {
  let st: State = { ...st0, depth: st0.depth + 1 };
  if (st.depth > ctx.opt.maxHops)
    return [
      die(
        st,
        h.name,
        'output',
        'dropped',
        { kind: 'routing-loop' },
        `routing loop: more than ${ctx.opt.maxHops} hops`,
        [],
      ),
    ];
  const blocked = enterable(ctx, st, h);
  if (blocked !== undefined) return [blocked];
  const routeGap = gapOn(h, NEEDS.routing);
  if (routeGap !== undefined) return [unknownWithout(st, routeGap, 'route', `where ${fmt(p0.dst)} is routed`)];
  // A bound output (a tunnel's underlay device) falls back to "on the link" (outputLookup).
  const fib = outputLookup(h, {
    dst: p0.dst,
    src: p0.src,
    iif: 'lo',
    mark: p0.mark,
    tos: 0,
    ...(o.oif !== undefined ? { oif: o.oif } : {}),
  });
  if (!fib.ok) return [failRoute(st, h, fib, p0.dst)];
  const r = fib.route;
  let p = p0;
  if (p.src === 0) {
    const src = preferredSource(h, r);
    if (src === undefined)
      return [
        die(
          st,
          h.name,
          'route',
          'dropped',
          { kind: 'no-source-address' },
          `no source address for ${fmt(p.dst)} via ${renderRoute(r)}`,
          [renderRoute(r)],
        ),
      ];
    p = { ...p, src };
  }
  if (st.sent === undefined) st = { ...st, sent: p };
  if (o.dnatFrom === undefined) {
    const c = conntrackIn({ ...st, firstTuple: tupleOf(p) }, h, p, undefined);
    st = c.st;
    p = c.p;
  } else {
    st = { ...st, firstTuple: tupleOf(o.dnatFrom) };
  }
  const evidence = [
    ...(fib.rule !== undefined && fib.rule.priority !== 0 ? [renderRule(fib.rule)] : []),
    renderRoute(r),
  ];
  if (r.type === 'local') {
    st = hop(st, h.name, 'route', `${fmt(p.dst)} is this host's own address (${renderRoute(r)})`, evidence);
    return runHook(ctx, st, h, 'OUTPUT', p, { outIface: 'lo' }, (s, q) => deliverLocal(ctx, s, h, 'lo', q));
  }
  return nextHops(r).flatMap((nh) => {
    const oif = nh.dev;
    if (oif === undefined)
      return [
        die(st, h.name, 'route', 'unknown', { kind: 'not-modelled' }, `route has no output device: ${renderRoute(r)}`, [
          renderRoute(r),
        ]),
      ];
    const gw = nh.gateway ?? p.dst;
    const s = {
      ...hop(
        st,
        h.name,
        'route',
        `send ${describePacket(p)} via ${nh.gateway !== undefined ? `${fmt(nh.gateway)} ` : ''}dev ${oif}`,
        evidence,
        oif,
      ),
      nextHopRoute: renderRoute(r),
    };
    return runHook(ctx, s, h, 'OUTPUT', p, { outIface: oif, nextHop: gw }, (s2, q, out) => {
      // ip_route_me_harder(): a changed destination or mark re-routes the packet.
      if (q.dst !== p.dst || q.mark !== p.mark) {
        const again = fibLookup(h, { dst: q.dst, src: q.src, iif: 'lo', mark: q.mark, tos: 0 });
        if (!again.ok) return [failRoute(s2, h, again, q.dst)];
        if (again.route.type === 'local') return deliverLocal(ctx, s2, h, 'lo', q);
        const nh2 = nextHops(again.route)[0];
        if (nh2?.dev === undefined)
          return [
            die(
              s2,
              h.name,
              'route',
              'unknown',
              { kind: 'not-modelled' },
              `route has no output device: ${renderRoute(again.route)}`,
              [renderRoute(again.route)],
            ),
          ];
        const s3 = {
          ...hop(
            s2,
            h.name,
            'route',
            `re-routed after ${out.nat?.kind ?? 'mark'}: via ${nh2.gateway !== undefined ? `${fmt(nh2.gateway)} ` : ''}dev ${nh2.dev}`,
            [renderRoute(again.route)],
            nh2.dev,
          ),
          nextHopRoute: renderRoute(again.route),
        };
        return postrouting(ctx, s3, h, nh2.dev, nh2.gateway ?? q.dst, q, undefined);
      }
      return postrouting(ctx, s2, h, oif, gw, q, undefined);
    });
  });
}

// ------------------------------------------------------------------------------------- postrouting and transmit

function postrouting(
  ctx: Ctx,
  st: State,
  h: HostNet,
  oif: string,
  nextHop: Ipv4,
  p: Packet,
  inIface: string | undefined,
): Leaf[] {
  return runHook(
    ctx,
    st,
    h,
    'POSTROUTING',
    p,
    { outIface: oif, nextHop, ...(inIface !== undefined ? { inIface } : {}) },
    (s, q0) => {
      const c = conntrackOut(s, h, q0, oif);
      const s2 = recordEntry(c.st, h, c.p);
      return transmit(ctx, leaveHost(s2), h, oif, nextHop, c.p);
    },
  );
}

/** State handed to the next host: no conntrack view or entry carries over. */
function leaveHost(st: State): State {
  const { ctView: _v, ctEntry: _e, ...rest } = st;
  void _v;
  void _e;
  return rest;
}

function transmit(ctx: Ctx, st: State, h: HostNet, oif: string, nextHop: Ipv4, p: Packet): Leaf[] {
  const link = h.links.get(oif);
  if (link !== undefined && !link.up)
    return [die(st, h.name, 'transmit', 'dropped', { kind: 'link-down' }, `${oif} is down`, [link.raw], oif)];
  if (isTunnel(h, oif)) return encapsulate(ctx, st, h, oif, nextHop, p);
  const rcv = resolveReceiver(ctx.world, h, oif, nextHop, p.dst);
  switch (rcv.kind) {
    case 'host': {
      const h2 = ctx.world.hosts.get(rcv.host)!;
      const s = hop(st, h.name, 'transmit', `out ${oif} to ${fmt(nextHop)}: ${rcv.how}`, [], oif);
      return receive(ctx, leaveHost(s), h2, rcv.dev, p, rcv.physdevIn);
    }
    case 'pod':
      return [deliverEndpoint(st, h, oif, p, { kind: 'pod', pod: rcv.pod }, rcv.how)];
    case 'external':
      return [deliverEndpoint(st, h, oif, p, { kind: 'external', external: rcv.external }, rcv.how)];
    case 'gateway': {
      const ext = ctx.world.externals.find((e) => e.ip === p.dst);
      if (ext !== undefined)
        return [
          deliverEndpoint(
            st,
            h,
            oif,
            p,
            { kind: 'external', external: ext },
            `handed to ${fmt(rcv.gateway)}, which is not probed`,
          ),
        ];
      return [
        die(
          st,
          h.name,
          'transmit',
          'unknown',
          { kind: 'not-probed', node: fmt(rcv.gateway) },
          `leaves ${oif} toward ${fmt(rcv.gateway)}, which netcheck did not probe`,
          [],
          oif,
        ),
      ];
    }
    case 'unseen':
      return [
        rcv.gap !== undefined
          ? unknownWithout(st, rcv.gap, 'neighbor', `who answers ARP for ${fmt(nextHop)} (${rcv.how})`, oif)
          : die(
              st,
              h.name,
              'transmit',
              'unknown',
              { kind: 'not-probed', node: rcv.node },
              `leaves ${oif} toward ${fmt(nextHop)}: ${rcv.how}`,
              [],
              oif,
            ),
      ];
    case 'undecided': {
      const ev = [...(st.nextHopRoute !== undefined ? [st.nextHopRoute] : []), ...rcv.evidence];
      return [die(st, h.name, 'neighbor', 'unknown', { kind: 'neighbor-unknown' }, rcv.why, ev, oif)];
    }
  }
}

function deliverEndpoint(st: State, h: HostNet, oif: string, p: Packet, ep: Endpoint, how: string): Leaf {
  const name = ep.kind === 'pod' ? `pod ${ep.pod.name}` : ep.kind === 'external' ? ep.external.name : ep.host;
  const s = hop(st, h.name, 'deliver', `out ${oif}: delivered to ${name} (${how})`, [], oif);
  return { ...end(s, 'delivered', { seenAs: seen(p), deliveredTo: name }), endpoint: ep, packet: p };
}

/** A tunnel device encapsulates (tunnel.ts); the outer packet is then routed as a local one. */
function encapsulate(ctx: Ctx, st: State, h: HostNet, oif: string, nextHop: Ipv4, p: Packet): Leaf[] {
  const l2Gap = h.links.get(oif)?.kind === 'vxlan' ? gapOn(h, NEEDS.neighbours) : undefined;
  if (l2Gap !== undefined)
    return [unknownWithout(st, l2Gap, 'neighbor', `which VTEP ${fmt(nextHop)} on ${oif} is behind`, oif)];
  const e = encapsulation(h, oif, nextHop, p.dst);
  if (!e.ok) {
    // The route that picked this next hop is the line to look at (INCIDENTS.md #2: a tunnel route
    // whose gateway is not a VTEP), so it leads the evidence.
    const ev = [...(e.step === 'neighbor' && st.nextHopRoute !== undefined ? [st.nextHopRoute] : []), ...e.evidence];
    return [die(st, h.name, e.step, e.verdict, e.reason, e.problem, ev, oif)];
  }
  const x = e.encap;
  const outer: Packet =
    x.kind === 'vxlan'
      ? {
          src: x.local ?? 0,
          dst: x.dst,
          proto: 'udp',
          sport: 0xc000,
          dport: x.port ?? 0,
          mark: 0,
          connmark: 0,
          length: p.length + 50,
          inner: p,
          ...(x.vni !== undefined ? { vni: x.vni } : {}),
        }
      : {
          src: x.local ?? 0,
          dst: x.dst,
          proto: 'ipip',
          sport: 0,
          dport: 0,
          mark: 0,
          connmark: 0,
          length: p.length + 20,
          inner: p,
        };
  const s = hop(st, h.name, 'encapsulate', x.detail, x.evidence, oif);
  return localOut(ctx, leaveHost(s), h, outer, x.bound !== undefined ? { oif: x.bound.dev } : {});
}

// ------------------------------------------------------------------------------------- entry points

function defaults(o: EngineOptions): Required<EngineOptions> {
  return { maxHops: 32, maxBranches: 512, ...o };
}

function initial(direction: Trace['direction'], ct: CtTables): State {
  return { direction, hops: [], branch: [], ct, depth: 0 };
}

/** Sends `p` from endpoint `from` and walks it to its fate. */
export function send(
  world: World,
  opts: EngineOptions,
  from: Endpoint,
  p: Packet,
  direction: Trace['direction'] = 'forward',
  ct: CtTables = new Map(),
): Leaf[] {
  const ctx: Ctx = { world, opt: defaults(opts) };
  const st = initial(direction, ct);
  switch (from.kind) {
    case 'host': {
      const h = world.hosts.get(from.host);
      if (h === undefined)
        return [
          die(
            st,
            from.host,
            'enter',
            'unknown',
            { kind: 'not-probed', node: from.host },
            `${from.host} was not probed`,
            [],
          ),
        ];
      return localOut(ctx, st, h, p);
    }
    case 'pod': {
      const node = world.hosts.get(from.pod.node);
      if (node === undefined)
        return [
          die(
            st,
            from.pod.node,
            'enter',
            'unknown',
            { kind: 'not-probed', node: from.pod.node },
            `pod ${from.pod.name} runs on ${from.pod.node}, which was not probed`,
            [],
          ),
        ];
      const blocked = enterable(ctx, st, node);
      if (blocked !== undefined) return [blocked];
      const at = podAttachment(world, from.pod);
      const routeGap = at === undefined ? gapOn(node, NEEDS.routing) : undefined;
      if (routeGap !== undefined)
        return [unknownWithout(st, routeGap, 'enter', `which device pod ${from.pod.name} sits behind`)];
      if (at === undefined)
        return [
          die(
            st,
            from.pod.node,
            'enter',
            'unknown',
            { kind: 'not-modelled' },
            `no route on ${from.pod.node} to pod ${from.pod.name} (${fmt(from.pod.ip)}): cannot tell which device it sits behind`,
            [],
          ),
        ];
      // Without the node's routes or sysctls the check is not made; the walk's own lookups say unknown.
      const gw =
        gapOn(node, [...NEEDS.routing, ...NEEDS.sysctl]) === undefined
          ? unresolvedPodGateway(at.host, at.dev, from.pod.ip, world.podGateway)
          : undefined;
      if (gw !== undefined)
        return [
          die(
            st,
            from.pod.node,
            'neighbor',
            'dropped',
            { kind: 'no-neighbor' },
            `pod ${from.pod.name}: ${gw.why}`,
            gw.evidence,
            at.dev,
          ),
        ];
      return receive(ctx, st, at.host, at.dev, p);
    }
    case 'external': {
      const at = directEntry(world, from.external, p.dst) ?? externalEntry(world, from.external);
      // Where it enters is read from the nodes' addresses and routes: a node without them may be the one.
      const entryGap =
        at === undefined
          ? [...world.hosts.values()]
              .filter((h) => from.external.entry === undefined || h.name === from.external.entry.host)
              .map((h) => gapOn(h, [...NEEDS.links, ...NEEDS.routing]))
              .find((g) => g !== undefined)
          : undefined;
      if (entryGap !== undefined)
        return [unknownWithout(st, entryGap, 'enter', `where ${from.external.name} enters the cluster`)];
      if (at === undefined)
        return [
          die(
            st,
            from.external.name,
            'enter',
            'unknown',
            { kind: 'not-modelled' },
            `no probed node is on the link of ${from.external.name} and none was named with --via`,
            [],
          ),
        ];
      return receive(ctx, st, at.host, at.dev, p);
    }
  }
}

export function replyPacket(p: Packet): Packet {
  const r: Packet = { ...p, src: p.dst, dst: p.src, sport: p.dport, dport: p.sport, mark: 0, connmark: 0 };
  if (p.proto === 'icmp') r.icmpType = 0;
  delete r.inner;
  return r;
}

/** The reply of a delivered forward leaf, walked back. */
export function reply(world: World, opts: EngineOptions, leaf: Leaf): Leaf[] {
  const ep = leaf.endpoint; // the reply starts where the forward packet was delivered
  if (ep === undefined || leaf.packet === undefined) return [];
  const p = replyPacket(leaf.packet);
  if (ep.kind === 'external') {
    // The external host answers through its router; with the reply's destination on its own link
    // (a node address) it goes straight there, otherwise to the node the LAN routes the pod
    // network to (--via).
    for (const h of world.hosts.values()) {
      for (const [dev, addrs] of h.addresses) {
        if (addrs.some((a) => a.local === p.dst)) {
          const ext: ExternalEndpoint = { ...ep.external, entry: { host: h.name, dev } };
          return send(world, opts, { kind: 'external', external: ext }, p, 'reply', leaf.ct);
        }
      }
    }
  }
  return send(world, opts, ep, p, 'reply', leaf.ct);
}
