// A flow, both ways: every forward branch, and for each delivered one the reply walked back and
// checked against what the client expects (the answer must come from the address it called).
import { formatIpv4 } from '../lib/ipv4.ts';
import { said } from '../model/said.ts';
import type { Packet } from './packet.ts';
import type { FlowResult, Hop, Trace } from './trace.ts';
import { reply, send } from './walk.ts';
import type { EngineOptions, Endpoint, Leaf } from './walk.ts';
import type { World } from './world.ts';

function sameEndpoint(a: Endpoint, b: Endpoint | undefined): boolean {
  if (b === undefined) return false;
  if (a.kind === 'host' && b.kind === 'host') return a.host === b.host;
  if (a.kind === 'pod' && b.kind === 'pod') return a.pod.name === b.pod.name;
  if (a.kind === 'external' && b.kind === 'external') return a.external.ip === b.external.ip;
  return false;
}

/** A reply that reaches the client from another address (missing un-NAT) is discarded by it. */
function judgeReply(from: Endpoint, sent: Packet, leaf: Leaf): Trace {
  const t = leaf.trace;
  if (t.verdict !== 'delivered') return t;
  const p = leaf.packet;
  if (!sameEndpoint(from, leaf.endpoint)) {
    const last: Hop = { ...t.hops[t.hops.length - 1]!, reason: { kind: 'reply-source-mismatch' } };
    return {
      ...t,
      verdict: 'dropped',
      hops: [...t.hops.slice(0, -1), last],
      decisive: last,
      deliveredTo: t.deliveredTo ?? '?',
    };
  }
  if (
    p !== undefined &&
    (p.src !== sent.dst ||
      p.dst !== sent.src ||
      ((p.proto === 'tcp' || p.proto === 'udp') && (p.sport !== sent.dport || p.dport !== sent.sport)))
  ) {
    const last = t.hops[t.hops.length - 1]!;
    const hop: Hop = {
      ...last,
      reason: { kind: 'reply-source-mismatch' },
      detail: said`${last.detail}; but it comes from ${formatIpv4(p.src)}:${p.sport}, not ${formatIpv4(sent.dst)}:${sent.dport}: the client discards it`,
    };
    return { ...t, verdict: 'dropped', hops: [...t.hops.slice(0, -1), hop], decisive: hop };
  }
  return t;
}

/** Walks `p` from `from`, then every delivered branch's reply back to `from`. */
export function traceFlow(world: World, opts: EngineOptions, from: Endpoint, p: Packet): FlowResult[] {
  const forward = send(world, opts, from, p);
  return forward.map((leaf) => {
    if (leaf.trace.verdict !== 'delivered') return { forward: leaf.trace };
    const replies = reply(world, opts, leaf);
    const r = replies[0];
    // A reply has no load-balancing choice of its own: conntrack pins it; several leaves can only
    // come from multipath on the way back, and the first is as good as any for the verdict.
    return r === undefined
      ? { forward: leaf.trace }
      : { forward: leaf.trace, reply: judgeReply(from, leaf.sent ?? p, r) };
  });
}
