// What the engine returns: hop-by-hop traces ending in a verdict (ARCHITECTURE.md "The engine").
export type TraceVerdict = 'delivered' | 'dropped' | 'rejected' | 'no-route' | 'unknown';

export type HopStep =
  | 'enter'
  | 'prerouting'
  | 'conntrack'
  | 'route'
  | 'rp-filter'
  | 'forward'
  | 'input'
  | 'output'
  | 'postrouting'
  | 'bridge'
  | 'ipvs'
  | 'encapsulate'
  | 'decapsulate'
  | 'neighbor'
  | 'transmit'
  | 'deliver';

export interface Hop {
  node: string;
  device?: string;
  step: HopStep;
  /** One line saying what happened, with the addresses as they are at this point. */
  detail: string;
  /** Raw lines (route, rule, sysctl) that decided this step. */
  evidence: string[];
}

export interface Trace {
  direction: 'forward' | 'reply';
  verdict: TraceVerdict;
  hops: Hop[];
  /** The addresses as the far end sees them (after every NAT on the way), when delivered. */
  seenAs?: { src: string; dst: string; sport?: number; dport?: number };
  /** Who received it: a node, a pod, or an external host. */
  deliveredTo?: string;
  /** The hop that decided a non-delivered verdict. */
  decisive?: Hop;
  /** Conditions of this branch (load-balancing choice, multipath next hop). */
  branch: string[];
}

/** A forward trace and the trace of its reply (absent when the forward one was not delivered). */
export interface FlowResult {
  forward: Trace;
  reply?: Trace;
}
