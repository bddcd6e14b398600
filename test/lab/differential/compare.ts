// Runs one scenario on the real kernel and in the engine, and lists every disagreement on what
// a user is told: was it delivered, to whom, with which source address, and did the answer come back.
import { text, texts } from '../../../src/model/render/said.ts';
import { buildHostState } from '../../../src/model/host.ts';
import { buildHostNet } from '../../../src/engine/host-net.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../../src/engine/world.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import { formatIpv4, parseIpv4 } from '../../../src/lib/ipv4.ts';
import type { RunningLab, SendResult } from '../harness/index.ts';
import type { Endpoint } from '../../../src/engine/walk.ts';
import type { Ipv4 } from '../../../src/lib/ipv4.ts';
import type { FlowSpec, Scenario } from './routed.ts';

export interface Observation {
  forwardDelivered: boolean;
  receivedBy?: string;
  seenSrc?: string;
  replyDelivered: boolean;
  /** Engine only: hosts the forward and reply walks crossed, in order of first appearance. */
  crossed?: string[];
  /**
   * Engine only: some trace ended `unknown`. The kernel always decides, so an engine that
   * abstains disagrees with it (issue #3: 100% agreement), whatever the other fields say.
   */
  unknown?: boolean;
}

export interface FlowComparison {
  flow: FlowSpec;
  kernel: Observation;
  engine: Observation;
  disagreements: string[];
  /** Engine's explanation, for the report on disagreement. */
  trace: string;
}

const PORT = 7777;

/** The engine's world: the probed hosts, plus the scenario's pods and external hosts (not probed, as in a cluster). */
export async function worldOf(
  lab: RunningLab,
  hosts: readonly string[],
  sc: Pick<Scenario, 'pods' | 'externals'> = {},
): Promise<World> {
  const entries = await Promise.all(hosts.map(async (h) => [h, await lab.probe(h)] as const));
  const nets = new Map(entries.map(([h, e]) => [h, buildHostNet(buildHostState(h, e))]));
  return {
    hosts: nets,
    pods: (sc.pods ?? []).map((p) => ({ name: p.name, ip: parseIpv4(p.ip)!, node: p.node })),
    externals: (sc.externals ?? []).map((e) => ({ name: e.name, ip: parseIpv4(e.ip)!, entry: e.entry })),
  };
}

/** Where a flow starts for the engine: a probed host, a pod on a probed node, or an external host. */
function endpointOf(world: World, from: string, ip: Ipv4): Endpoint {
  const pod = world.pods.find((p) => p.name === from || p.name.endsWith(`/${from}`));
  if (pod !== undefined) return { kind: 'pod', pod };
  const ext = world.externals.find((e) => e.name === from);
  if (ext !== undefined) return { kind: 'external', external: ext };
  return { kind: 'host', host: from, ip };
}

/** The lab host behind the engine's "delivered to" (pods are "pod NAMESPACE/NAME", NAME the lab host). */
function labHost(deliveredTo: string): string {
  return deliveredTo.startsWith('pod ') ? deliveredTo.slice(deliveredTo.lastIndexOf('/') + 1) : deliveredTo;
}

export function engineObservation(world: World, f: FlowSpec): { obs: Observation; trace: string } {
  const src = f.srcAddr !== undefined ? parseIpv4(f.srcAddr)! : 0;
  const p: Packet = {
    src,
    dst: parseIpv4(f.dst)!,
    proto: f.proto,
    sport: f.proto === 'icmp' ? 0 : 40000,
    dport: f.proto === 'icmp' ? 0 : PORT,
    mark: 0,
    connmark: 0,
    length: 84,
    ...(f.proto === 'icmp' ? { icmpType: 8 } : {}),
  };
  const from = endpointOf(world, f.from, src);
  // A pod or an external host sends from its only address; a probed host lets routing choose.
  if (src === 0 && from.kind === 'pod') p.src = from.pod.ip;
  if (src === 0 && from.kind === 'external') p.src = from.external.ip;
  const results = traceFlow(world, { evaluate: evaluateHook }, from, p);
  const r = results[0];
  const trace = results
    .map((x) =>
      [x.forward, ...(x.reply ? [x.reply] : [])]
        .map(
          (t) =>
            `${t.direction} ${t.verdict}${t.branch.length ? ` [${t.branch.join('; ')}]` : ''}\n${t.hops.map((h) => `    ${h.node} ${h.device ?? ''} ${h.step}: ${text(h.detail)}${h.evidence.length ? `\n        ${texts(h.evidence).join('\n        ')}` : ''}`).join('\n')}`,
        )
        .join('\n'),
    )
    .join('\n---\n');
  if (r === undefined) return { obs: { forwardDelivered: false, replyDelivered: false }, trace };
  const obs: Observation = {
    forwardDelivered: r.forward.verdict === 'delivered',
    replyDelivered: r.reply?.verdict === 'delivered',
  };
  obs.crossed = [...new Set([...r.forward.hops, ...(r.reply?.hops ?? [])].map((h) => h.node))];
  if (r.forward.verdict === 'unknown' || r.reply?.verdict === 'unknown') obs.unknown = true;
  if (obs.forwardDelivered) {
    if (r.forward.deliveredTo !== undefined) obs.receivedBy = labHost(r.forward.deliveredTo);
    if (r.forward.seenAs !== undefined) obs.seenSrc = r.forward.seenAs.src;
  }
  if (results.length > 1) obs.receivedBy = `${obs.receivedBy ?? '?'} (+${results.length - 1} branches)`;
  return { obs, trace };
}

/** What the kernel did with one sent packet, as an Observation of the flow to `dst`. */
export function observationOf(s: SendResult, proto: string, dst: string): Observation {
  const obs: Observation = {
    forwardDelivered: s.forwardDelivered,
    // The client accepts only an answer from the address it called (a connected socket, ping's
    // id/address check); an answer from elsewhere is a failure.
    replyDelivered: s.replyDelivered && (proto === 'tcp' || s.replyFrom === undefined || s.replyFrom === dst),
  };
  if (s.forwardDelivered) {
    if (s.receivedBy !== undefined) obs.receivedBy = s.receivedBy;
    if (s.seenSrc !== undefined) obs.seenSrc = s.seenSrc;
  }
  return obs;
}

export async function kernelObservation(lab: RunningLab, f: FlowSpec): Promise<Observation> {
  const s = await lab.send({
    from: f.from,
    dst: f.dst,
    proto: f.proto,
    dport: PORT,
    ...(f.srcAddr !== undefined ? { srcAddr: f.srcAddr } : {}),
  });
  return observationOf(s, f.proto, f.dst);
}

export function compare(kernel: Observation, engine: Observation, proto: FlowSpec['proto']): string[] {
  const d: string[] = [];
  if (engine.unknown === true)
    d.push(
      `engine answered unknown (kernel: forward ${kernel.forwardDelivered ? 'delivered' : 'lost'}, reply ${kernel.replyDelivered ? 'delivered' : 'lost'})`,
    );
  // TCP and ICMP cannot tell a lost request from a lost answer at a socket; UDP can.
  if (proto === 'udp' && kernel.forwardDelivered !== engine.forwardDelivered)
    d.push(`forward delivered: kernel ${kernel.forwardDelivered}, engine ${engine.forwardDelivered}`);
  if (kernel.forwardDelivered && engine.forwardDelivered) {
    if (kernel.receivedBy !== undefined && kernel.receivedBy !== engine.receivedBy)
      d.push(`received by: kernel ${kernel.receivedBy}, engine ${engine.receivedBy ?? '-'}`);
    if (kernel.seenSrc !== undefined && kernel.seenSrc !== engine.seenSrc)
      d.push(`seen source: kernel ${kernel.seenSrc}, engine ${engine.seenSrc ?? '-'}`);
  }
  if (kernel.replyDelivered !== engine.replyDelivered)
    d.push(`reply delivered: kernel ${kernel.replyDelivered}, engine ${engine.replyDelivered}`);
  return d;
}

export { formatIpv4 };
