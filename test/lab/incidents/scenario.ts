// An incident scenario: a declared cluster, the flows that show the fault (and ones that still
// work), what the kernel does with each, and the hop that must explain it. The helpers here run a
// scenario: build the lab, probe the hosts with the real probe, build the Model and the engine's
// World from the probe output and the cluster objects, and trace the same flows.
import { text, texts } from '../../../src/model/render/said.ts';
import { clusterInfo } from '../../../src/model/cluster.ts';
import { buildHostState } from '../../../src/model/host.ts';
import { buildWorld } from '../../../src/engine/world-from-model.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../../src/engine/world.ts';
import type { Endpoint } from '../../../src/engine/walk.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import type { FlowResult, Hop, HopStep, Trace } from '../../../src/engine/trace.ts';
import type { HostEntry } from '../../../src/snapshot/types.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import type { RunningLab } from '../harness/index.ts';
import { compare, observationOf } from '../differential/compare.ts';
import type { Observation } from '../differential/compare.ts';
import type { ClusterDecl } from './cluster.ts';
import { machineHosts } from './cluster.ts';
import { objectsOf } from './objects.ts';

export interface FlowCase {
  /** What the flow is, in words (shown in test names and the README). */
  label: string;
  /** Lab host sending: a pod (its name), a node, the LAN host. */
  from: string;
  dst: string;
  proto: 'udp' | 'tcp' | 'icmp';
  dport: number;
  /** More ports the lab's hosts listen on: the port a Service DNATs to. */
  listen?: readonly number[];
  /** What the kernel does; asserted, so the lab is known to reproduce the incident. */
  expect: { forward: boolean; reply: boolean; receivedBy?: string; seenSrc?: string };
  /**
   * From the snapshot alone (nodes probed, not the LAN router) the engine cannot follow this flow:
   * it crosses the router, and says so with an `unknown` verdict (test/unit/examples.test.ts).
   */
  crossesRouter?: boolean;
  /** The hop that decides the fault, and the line it must quote. */
  decisive?: { direction: 'forward' | 'reply'; node: string; step: HopStep; evidence: string };
}

export interface Scenario {
  decl: ClusterDecl;
  title: string;
  /** Where the fault is. */
  node: string;
  /** What is broken and why, for the README. */
  summary: string;
  flows: FlowCase[];
}

export type { Observation };
/** Where kernel and engine disagree on what a user is told (the differential tests' rules). */
export { compare as disagreements };

/** Probes hosts with the real probe (src/collect/local-probe.ts inside each namespace). */
export async function probeHosts(lab: RunningLab, hosts: readonly string[]): Promise<Record<string, HostEntry>> {
  const entries = await Promise.all(hosts.map(async (h) => [h, await lab.probe(h)] as const));
  return Object.fromEntries(entries);
}

/**
 * The engine's World: every machine of the lab probed (nodes, and — so the walk can follow
 * packets across the LAN the way the kernel does — the router and the LAN hosts), pods from the
 * cluster objects.
 */
export function worldOf(d: ClusterDecl, entries: Record<string, HostEntry>): World {
  const states = machineHosts(d).map((h) => {
    const e = entries[h];
    if (e === undefined) throw new Error(`${h} was not probed`);
    return buildHostState(h, e);
  });
  return buildWorld(states, clusterInfo(objectsOf(d)));
}

function endpointOf(d: ClusterDecl, world: World, from: string): Endpoint {
  const pod = d.pods.find((p) => p.name === from);
  if (pod !== undefined) {
    const ep = world.pods.find((p) => p.name === `${pod.namespace}/${pod.name}`);
    if (ep === undefined) throw new Error(`pod ${pod.name} is not in the world`);
    return { kind: 'pod', pod: ep };
  }
  return { kind: 'host', host: from, ip: 0 };
}

export function enginePacket(f: FlowCase): Packet {
  return {
    src: 0,
    dst: parseIpv4(f.dst)!,
    proto: f.proto,
    sport: f.proto === 'icmp' ? 0 : 40000,
    dport: f.proto === 'icmp' ? 0 : f.dport,
    mark: 0,
    connmark: 0,
    length: 84,
    ...(f.proto === 'icmp' ? { icmpType: 8 } : {}),
  };
}

export function traceCase(d: ClusterDecl, world: World, f: FlowCase): FlowResult[] {
  const from = endpointOf(d, world, f.from);
  const p = enginePacket(f);
  // A pod's packets already carry its address.
  if (from.kind === 'pod') p.src = from.pod.ip;
  return traceFlow(world, { evaluate: evaluateHook }, from, p);
}

/** "pod default/web-0" → "web-0": the lab host a pod lives in. */
function labName(deliveredTo: string | undefined): string | undefined {
  if (deliveredTo === undefined) return undefined;
  const m = /^pod [^/]+\/(.+)$/.exec(deliveredTo);
  return m !== null ? m[1] : deliveredTo;
}

export function engineObservation(results: FlowResult[]): Observation {
  const r = results[0];
  if (r === undefined) return { forwardDelivered: false, replyDelivered: false };
  const obs: Observation = {
    forwardDelivered: r.forward.verdict === 'delivered',
    replyDelivered: r.reply?.verdict === 'delivered',
  };
  if (obs.forwardDelivered) {
    const to = labName(r.forward.deliveredTo);
    if (to !== undefined) obs.receivedBy = to;
    if (r.forward.seenAs !== undefined) obs.seenSrc = r.forward.seenAs.src;
  }
  if (results.length > 1) obs.receivedBy = `${obs.receivedBy ?? '?'} (+${results.length - 1} branches)`;
  return obs;
}

export async function kernelObservation(lab: RunningLab, f: FlowCase): Promise<Observation> {
  const s = await lab.send({
    from: f.from,
    dst: f.dst,
    proto: f.proto,
    dport: f.dport,
    ...(f.listen !== undefined ? { listen: f.listen } : {}),
  });
  return observationOf(s, f.proto, f.dst);
}

/** What the kernel was expected to do, as an Observation-shaped list of mismatches. */
export function unexpected(kernel: Observation, f: FlowCase): string[] {
  const d: string[] = [];
  const e = f.expect;
  if (f.proto === 'udp' && kernel.forwardDelivered !== e.forward)
    d.push(`kernel forward delivered ${kernel.forwardDelivered}, scenario says ${e.forward}`);
  if (kernel.replyDelivered !== e.reply)
    d.push(`kernel reply delivered ${kernel.replyDelivered}, scenario says ${e.reply}`);
  if (e.receivedBy !== undefined && kernel.receivedBy !== e.receivedBy)
    d.push(`kernel received by ${kernel.receivedBy ?? '-'}, scenario says ${e.receivedBy}`);
  if (e.seenSrc !== undefined && kernel.seenSrc !== e.seenSrc)
    d.push(`kernel seen source ${kernel.seenSrc ?? '-'}, scenario says ${e.seenSrc}`);
  return d;
}

/** The hop that decides a trace: the decisive one of a failed trace, else the matching hop of a delivered one. */
export function decisiveHop(
  results: FlowResult[],
  want: NonNullable<FlowCase['decisive']>,
): { hop?: Hop; trace?: Trace } {
  const r = results[0];
  const t = want.direction === 'forward' ? r?.forward : r?.reply;
  if (t === undefined) return {};
  if (t.verdict !== 'delivered') return { ...(t.decisive !== undefined ? { hop: t.decisive } : {}), trace: t };
  const h = t.hops.find(
    (x) => x.node === want.node && x.step === want.step && texts(x.evidence).some((e) => e.includes(want.evidence)),
  );
  return { ...(h !== undefined ? { hop: h } : {}), trace: t };
}

export function formatResults(results: FlowResult[]): string {
  return results
    .map((x) =>
      [x.forward, ...(x.reply ? [x.reply] : [])]
        .map(
          (t) =>
            `${t.direction} ${t.verdict}${t.branch.length ? ` [${t.branch.join('; ')}]` : ''}\n${t.hops.map((h) => `    ${h.node} ${h.device ?? ''} ${h.step}: ${text(h.detail)}${h.evidence.length ? `\n        ${texts(h.evidence).join('\n        ')}` : ''}`).join('\n')}`,
        )
        .join('\n'),
    )
    .join('\n---\n');
}
