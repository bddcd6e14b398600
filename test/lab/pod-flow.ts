// A pod's flow walked by the whole engine (traceFlow), both ways, as a lab observation: delivered
// forward and back, unknown, which pod received it and the source it saw. Shared by the lab tests
// that send from a pod on a bridge and compare with the kernel (hairpin, bridge-forwarding).
import { traceFlow } from '../../src/engine/flow.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import type { FlowResult } from '../../src/engine/trace.ts';
import type { PodEndpoint, World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { text } from '../../src/model/render/said.ts';
import type { Observation } from './differential/compare.ts';

export function podFlow(
  world: World,
  pod: PodEndpoint,
  dst: string,
  proto: 'udp' | 'tcp',
  dport: number,
): { obs: Observation; results: FlowResult[] } {
  const results = traceFlow(
    world,
    { evaluate: evaluateHook },
    { kind: 'pod', pod },
    { src: pod.ip, dst: parseIpv4(dst)!, proto, sport: 40000, dport, mark: 0, connmark: 0, length: 84 },
  );
  const r = results[0]!;
  const obs: Observation = {
    forwardDelivered: r.forward.verdict === 'delivered',
    replyDelivered: r.reply?.verdict === 'delivered',
  };
  if (r.forward.verdict === 'unknown' || r.reply?.verdict === 'unknown') obs.unknown = true;
  if (obs.forwardDelivered) {
    // The lab names pods by their name in namespace default.
    if (r.forward.deliveredTo !== undefined) obs.receivedBy = r.forward.deliveredTo.replace(/^pod default\//, '');
    if (r.forward.seenAs !== undefined) obs.seenSrc = r.forward.seenAs.src;
  }
  return { obs, results };
}

/** The walk of every branch, both ways, hop by hop: what a failing comparison prints. */
export const showFlow = (results: FlowResult[]): string =>
  results
    .flatMap((r) => [r.forward, ...(r.reply ? [r.reply] : [])])
    .map(
      (t) => `${t.direction} ${t.verdict}\n${t.hops.map((h) => `  ${h.node} ${h.step}: ${text(h.detail)}`).join('\n')}`,
    )
    .join('\n');
