// Which finding a trace's deciding hop is. The engine says what happened in each hop (step,
// verdict, detail); this maps that onto the stable finding IDs. The engine's wording for the two
// cases that share a step with others (martian source, forwarding off) is pinned by the unit
// tests of this module, which run the engine itself.
import type { Hop, Trace } from '../../engine/trace.ts';
import type { FindingId } from '../catalog.ts';

const NETFILTER_STEPS = new Set<Hop['step']>(['prerouting', 'input', 'forward', 'output', 'postrouting']);

/** kube-proxy's comment on the REJECT rule of a Service without endpoints (proxier.go). */
const NO_ENDPOINTS = /has no endpoints/;

export function classifyTrace(t: Trace): FindingId | undefined {
  if (t.verdict === 'delivered') return undefined;
  const hop = t.decisive ?? t.hops[t.hops.length - 1];
  if (hop === undefined) return 'path-unknown';
  if (t.verdict === 'unknown') return 'path-unknown';
  const { step, detail } = hop;
  if (step === 'rp-filter') return /martian source/.test(detail) ? 'martian-source' : 'rp-filter-drop';
  if (step === 'route' && /^martian source/.test(detail)) return 'martian-source';
  if (/forwarding is off/.test(detail)) return 'forwarding-disabled';
  if (/routing loop/.test(detail)) return 'routing-loop';
  if (/ is down$/.test(detail)) return 'link-down';
  if (step === 'route') return t.verdict === 'no-route' ? 'no-route' : 'blackhole-route';
  if (step === 'ipvs') return 'service-no-endpoints';
  if (NETFILTER_STEPS.has(step)) {
    if (hop.evidence.some((e) => NO_ENDPOINTS.test(e))) return 'service-no-endpoints';
    return t.verdict === 'rejected' ? 'netfilter-reject' : 'netfilter-drop';
  }
  if (step === 'neighbor' || step === 'encapsulate') return 'no-neighbor';
  if (step === 'decapsulate') return 'no-decapsulation';
  if (step === 'deliver' && t.direction === 'reply') return 'reply-source-mismatch';
  return 'path-unknown';
}
