// One TCP packet walked by the whole engine (traceFlow) through a world read from lab hosts by the
// real probe: what each branch did with it, in the lab's terms (the lab host it reached, the source
// it arrived with). Shared by the rule-table lab tests that compare the engine's walk with the
// kernel's answer (kube-proxy-rules.test.ts, kube-proxy-ipvs.test.ts).
import { buildHostNet } from '../../src/engine/host-net.ts';
import { traceFlow } from '../../src/engine/flow.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import type { Trace } from '../../src/engine/trace.ts';
import type { World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import { text } from '../../src/model/render/said.ts';
import type { HostEntry } from '../../src/snapshot/types.ts';
import type { RunningLab } from './harness/index.ts';
import { packet } from '../unit/netfilter/helpers.ts';

/** The probed hosts (with `edit` applied to a host's probe entry) and the pods on them. */
export async function probedWorld(
  lab: RunningLab,
  hosts: readonly string[],
  pods: readonly { name: string; ip: string; node: string }[],
  edit: (host: string, e: HostEntry) => void = () => {},
): Promise<World> {
  const nets = new Map<string, ReturnType<typeof buildHostNet>>();
  for (const h of hosts) {
    const e = await lab.probe(h);
    edit(h, e);
    nets.set(h, buildHostNet(buildHostState(h, e)));
  }
  return { hosts: nets, pods: pods.map((p) => ({ ...p, ip: parseIpv4(p.ip)! })), externals: [] };
}

export interface Branch {
  verdict: Trace['verdict'];
  /** The lab host it was delivered to (a pod's name, or a host). */
  to?: string;
  seenSrc?: string;
  /** The walk reached IPVS on some node. */
  ipvs: boolean;
  conditions: readonly string[];
}

export interface Walked {
  branches: Branch[];
  /** Every branch, hop by hop, for a failure message. */
  said: string;
}

/** A first TCP packet from a pod (by name) or a probed host (sending from `src`). */
export function walkTcp(w: World, from: string, src: string, dst: string, dport: number): Walked {
  const p = packet({ src, dst, dport });

  const pod = w.pods.find((x) => x.name === from);
  const start = pod !== undefined ? { kind: 'pod' as const, pod } : { kind: 'host' as const, host: from, ip: p.src };
  const fwd = traceFlow(w, { evaluate: evaluateHook }, start, p).map((r) => r.forward);
  return {
    branches: fwd.map((t) => ({
      verdict: t.verdict,
      ...(t.verdict === 'delivered' && t.deliveredTo !== undefined
        ? { to: t.deliveredTo.replace(/^pod (.*\/)?/, '') }
        : {}),
      ...(t.seenAs !== undefined ? { seenSrc: t.seenAs.src } : {}),
      ipvs: t.hops.some((h) => h.step === 'ipvs'),
      conditions: t.branch,
    })),
    said: fwd
      .map(
        (t) =>
          `${t.verdict} ${t.deliveredTo ?? ''} ${t.seenAs?.src ?? ''}: ${t.hops.map((h) => `${h.node} ${h.step} ${text(h.detail)}`).join(' | ')}`,
      )
      .join('\n    '),
  };
}
