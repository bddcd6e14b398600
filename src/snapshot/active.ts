// What `--active` sends and watches: typed probes, the capture points that observe them, and the
// safety limits every plan obeys. The plan is made from the analysis (src/checks/active/plan.ts)
// and executed through the probe pods (src/collect/active/run.ts); its results are judged by
// src/checks/active/localise.ts. Like the host sections, this is a contract between collection
// and analysis, so it lives here and neither side imports the other.

/**
 * How a probe is shaped, after what it stands for:
 * - `vxlan`: a UDP datagram to the VXLAN port carrying a VXLAN header with a VNI no device on the
 *   receiver uses, so its vxlan socket drops it after the capture has seen it (vxlan_rcv: no
 *   device for the VNI). Stands for the CNI's encapsulated pod traffic.
 * - `ipip`: IP protocol 4 whose inner packet is an ICMP echo reply to the receiver itself, which
 *   the receiver discards silently (icmp_discard) if it decapsulates it.
 * - `routed`: a raw IPv4 ICMP echo reply with a pod address as its source, node to node: what an
 *   anti-spoofing underlay (AWS source/destination check, OpenStack port security) drops.
 */
export type ProbeKind = 'vxlan' | 'ipip' | 'routed';

/** `reach`: a small packet (does anything get through?); `mtu`: DF set, the size the tunnel MTU implies. */
export type ProbePurpose = 'reach' | 'mtu';

export interface Point {
  node: string;
  dev: string;
}

export interface UnderlayProbe {
  /** Unique in the plan; carried in the packet after the marker. */
  id: number;
  kind: ProbeKind;
  purpose: ProbePurpose;
  from: string;
  to: string;
  /** Outer (on-the-wire) addresses. */
  src: string;
  dst: string;
  /** VXLAN: UDP destination port and the unused VNI. */
  port?: number;
  vni?: number;
  /** IPv4 total length of the packet on the wire. */
  size: number;
  df: boolean;
  /** Times it is sent (each copy counts against the limits). */
  count: number;
  /** Predicted path, in order: the sender's underlay device, then the receiver's. */
  path: Point[];
  /** What the packet stands for, for the report: "VXLAN vxlan.calico (MTU 1450)". */
  standsFor: string;
}

export interface CapturePoint extends Point {
  /** BPF filter: this run's marker on every probe kind the point watches. */
  filter: string;
  /** Packets the point sees when everything arrives: the capture ends early once it has them. */
  expected: number;
}

export interface ProbeLimits {
  /** Packets per second from one sender. */
  ratePerSecond: number;
  /** Copies of one probe. */
  maxCount: number;
  /** Packets in the whole plan. */
  maxPackets: number;
  /** How long a capture may run (seconds); also bounds the whole run. */
  captureSeconds: number;
  /** Largest packet. */
  maxSize: number;
}

export const PROBE_LIMITS: ProbeLimits = {
  ratePerSecond: 20,
  maxCount: 3,
  maxPackets: 2000,
  captureSeconds: 8,
  maxSize: 9000,
};

export interface ActivePlan {
  /** Two bytes that mark this run's packets (after the marker), so captures see no other. */
  run: number;
  probes: UnderlayProbe[];
  captures: CapturePoint[];
  /** Pairs or probes not planned, and why (no tunnel route, an address netcheck may not probe). */
  skipped: string[];
  limits: ProbeLimits;
}

/** "NCHK": the first four payload bytes of every probe, matched by the capture filters. */
export const MARKER = 0x4e43484b;

/** Where the marker sits in each kind of probe, as a BPF expression's offset base. */
export const MARKER_AT: Record<ProbeKind, string> = {
  // UDP header 8 + VXLAN header 8.
  vxlan: 'udp[16:4]',
  // Outer IP header (20, no options from a raw socket) + inner IP header 20 + ICMP header 8.
  ipip: 'ip[48:4]',
  // ICMP header 8.
  routed: 'icmp[8:4]',
};

const RUN_AT: Record<ProbeKind, string> = { vxlan: 'udp[20:2]', ipip: 'ip[52:2]', routed: 'icmp[12:2]' };

/** The capture filter for a point that watches probes of these kinds. */
export function captureFilter(kinds: readonly ProbeKind[], run: number, vxlanPorts: readonly number[]): string {
  const hex = (n: number, w: number) => `0x${n.toString(16).padStart(w, '0')}`;
  const parts = [...new Set(kinds)].sort().map((k) => {
    const marked = `${MARKER_AT[k]} = ${hex(MARKER, 8)} and ${RUN_AT[k]} = ${hex(run, 4)}`;
    if (k === 'vxlan') return `(udp and (${vxlanPorts.map((p) => `dst port ${p}`).join(' or ')}) and ${marked})`;
    if (k === 'ipip') return `(ip proto 4 and ${marked})`;
    return `(icmp and icmp[0] = 0 and ${marked})`;
  });
  return parts.join(' or ');
}

// ------------------------------------------------------------------ what the run observed

export interface SendOutcome {
  id: number;
  /** Copies the sender handed to the kernel. */
  sent: number;
  /** errno name of the first refused copy (EMSGSIZE: larger than the sender's own route allows). */
  error?: string;
}

export type SenderResult =
  | { node: string; state: 'ran'; sends: SendOutcome[] }
  | { node: string; state: 'tool-missing'; tool: string }
  | { node: string; state: 'failed' | 'timed-out'; why: string };

export interface SeenPacket {
  id: number;
  src: string;
  dst: string;
  /** IPv4 total length as captured. */
  length: number;
}

export type CaptureResult = Point &
  (
    | { state: 'ran'; packets: SeenPacket[] }
    | { state: 'tool-missing'; tool: string }
    | { state: 'failed' | 'timed-out' | 'not-ready'; why: string }
  );

export interface ActiveResults {
  senders: SenderResult[];
  captures: CaptureResult[];
  /** Wall time of the whole run, probe pods included. */
  elapsedMs: number;
}
