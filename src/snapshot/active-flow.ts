// The flow itself under `--active` (the question's own packet, sent from the source pod's network
// namespace, answered by a listener in the destination's, watched on every device the traces
// cross): the contract between the plan (src/checks/active/flow-plan.ts), the runner that executes
// it through the probe pods (src/collect/active/flow-run.ts) and the judgement
// (src/checks/active/flow-localise.ts). The commands themselves are src/collect/active/flow.ts.
import { parseIpv4 } from '../lib/ipv4.ts';
import type { Point } from './active.ts';

export type FlowProtocol = 'tcp' | 'udp' | 'icmp';

export interface FlowPoint extends Point {
  /** Index of the trace hop this point stands for (the first hop on this device). */
  hop: number;
  /** Why no capture watches this point (the packet's addresses there are not known). */
  unwatched?: string;
}

/** The flow's addresses as a capture may see them: as sent, and after NAT as the far end sees them. */
export interface FlowTuple {
  src: string;
  dst: string;
  port?: number;
}

export interface FlowProbe {
  protocol: FlowProtocol;
  /** Pod addresses: the sender enters the namespace holding `src` on `srcNode`. */
  src: string;
  dst: string;
  srcNode: string;
  /** Where a listener is placed: the destination pod's node, when the destination is a pod. */
  listenNode?: string;
  port?: number;
  /** Attempts (each one connection, datagram or echo); bounded by PROBE_LIMITS.maxCount. */
  count: number;
  /** How long an attempt waits for its answer. */
  answerSeconds: number;
  /** The devices the forward and the reply trace cross, in order. */
  forward: FlowPoint[];
  reply: FlowPoint[];
  /** The addresses after NAT where the engine rewrites them on the way (each backend of a Service). */
  seenAs?: FlowTuple[];
}

/** Every form of the flow's addresses a capture on its path may see. */
export function flowTuples(p: FlowProbe): FlowTuple[] {
  const sent: FlowTuple = { src: p.src, dst: p.dst, ...(p.port !== undefined ? { port: p.port } : {}) };
  const out = [sent];
  for (const s of p.seenAs ?? [])
    if (!out.some((x) => x.src === s.src && x.dst === s.dst && x.port === s.port)) out.push(s);
  return out;
}

export interface FlowCapture extends Point {
  filter: string;
  /** Packets a healthy run shows here (-c ends the capture early once it has them). */
  expected: number;
}

export interface FlowPlan {
  probe: FlowProbe;
  captures: FlowCapture[];
  /** The VXLAN ports the cluster's tunnels use: where a capture finds the flow encapsulated. */
  vxlanPorts: number[];
}

/** What one attempt got back: answered (connected, echoed), refused (RST or ICMP unreachable), or nothing. */
export type AttemptOutcome = 'answered' | 'refused' | 'no-answer' | string;

/** Entering a pod's namespace (the sender's or the listener's). */
export type EnterFailure =
  | { state: 'no-netns'; why: string }
  | { state: 'tool-missing'; tool: string }
  | { state: 'failed' | 'timed-out'; why: string };

export type FlowSenderResult = { state: 'ran'; attempts: AttemptOutcome[] } | EnterFailure;

/** `in-use`: something in the pod already listens on the port; it answers, not netcheck. */
export type FlowListenerResult = { state: 'ran'; received: number } | { state: 'in-use' } | EnterFailure;

export interface FlowPacket {
  direction: 'forward' | 'reply';
  /** Where it was captured encapsulated: "VXLAN 192.168.1.11 → 192.168.1.13". */
  outer?: string;
}

export type FlowCaptureResult = Point &
  (
    | { state: 'ran'; packets: FlowPacket[] }
    | { state: 'tool-missing'; tool: string }
    | { state: 'failed' | 'timed-out' | 'not-ready'; why: string }
  );

export interface FlowResults {
  sender: FlowSenderResult;
  listener?: FlowListenerResult;
  captures: FlowCaptureResult[];
}

const PROTO_NUMBER: Record<FlowProtocol, number> = { tcp: 6, udp: 17, icmp: 1 };

/**
 * The BPF filter for the flow's packets at a capture point, both directions, as they pass there:
 * plain, inside VXLAN (inner IPv4 at udp[30]: UDP 8 + VXLAN 8 + Ethernet 14) or inside IPIP
 * (inner IPv4 at ip[20]); inner headers without IP options. TCP: only SYN or RST segments (the
 * attempts' SYN, SYN-ACK and closing RST), so a healthy run's count is known.
 */
export function flowFilter(
  protocol: FlowProtocol,
  tuples: readonly FlowTuple[],
  vxlanPorts: readonly number[],
): string {
  const hex = (ip: string) => `0x${parseIpv4(ip)!.toString(16).padStart(8, '0')}`;
  /** The inner packet's test when its IPv4 header starts at `at` in `base[]`. */
  const innerTest = (base: string, at: number, t: FlowTuple) => {
    const [a, b] = [hex(t.src), hex(t.dst)];
    const f = (o: number, w?: number) => `${base}[${at + o}${w !== undefined ? `:${w}` : ''}]`;
    const l4 =
      protocol === 'icmp'
        ? `(${f(20)} = 8 or ${f(20)} = 0)`
        : `(${f(20, 2)} = ${t.port} or ${f(22, 2)} = ${t.port})${protocol === 'tcp' ? ` and ${f(33)} & 6 != 0` : ''}`;
    return `((${f(12, 4)} = ${a} and ${f(16, 4)} = ${b}) or (${f(12, 4)} = ${b} and ${f(16, 4)} = ${a})) and ${f(9)} = ${PROTO_NUMBER[protocol]} and ${l4}`;
  };
  const plain = (t: FlowTuple) =>
    protocol === 'icmp'
      ? 'icmp and (icmp[0] = 8 or icmp[0] = 0)'
      : `${protocol} port ${t.port}${protocol === 'tcp' ? ' and tcp[13] & 6 != 0' : ''}`;
  return tuples
    .flatMap((t) => [
      `(host ${t.src} and host ${t.dst} and ${plain(t)})`,
      ...(vxlanPorts.length > 0
        ? [`(udp and (${vxlanPorts.map((x) => `dst port ${x}`).join(' or ')}) and ${innerTest('udp', 30, t)})`]
        : []),
      `(ip proto 4 and ${innerTest('ip', 20, t)})`,
    ])
    .join(' or ');
}
