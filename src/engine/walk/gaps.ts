// Where the walk stops before deciding: state the snapshot does not vouch for (data-gaps.ts), a
// datapath netcheck does not walk.
import type { Said } from '../../model/said.ts';
import type { HostNet } from '../host-net.ts';
import { collectHint, describeMissing, missingSection, NEEDS } from '../data-gaps.ts';
import type { DataMissing } from '../data-gaps.ts';
import type { HopStep } from '../trace.ts';
import { die } from './state.ts';
import type { Ctx, Leaf, State } from './state.ts';

/**
 * Ends the trace as unknown: `decision` rests on a section of `gap.node` that the snapshot does not
 * vouch for. For every decision that reads collected state (NEEDS in data-gaps.ts).
 */
export function unknownWithout(st: State, gap: DataMissing, step: HopStep, decision: Said, device?: string): Leaf {
  return die(st, gap.node, step, 'unknown', gap, describeMissing(gap, decision), [collectHint(gap)], device);
}

/** The first section of `sections` that host `h` lacks, if any. */
export function gapOn(h: HostNet, sections: readonly string[]): DataMissing | undefined {
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
export function enterable(ctx: Ctx, st: State, h: HostNet, dev?: string): Leaf | undefined {
  const bpf = unmodelledNode(ctx, st, h, dev);
  if (bpf !== undefined) return bpf;
  const gap = gapOn(h, NEEDS.links);
  return gap === undefined ? undefined : unknownWithout(st, gap, 'enter', 'its devices and addresses', dev);
}
