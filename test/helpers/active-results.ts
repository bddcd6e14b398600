// What an --active run observes when every probe of a plan is sent and captured at every point of
// its path, but those `lost` at their receiver and those that `notLeft` the sender's device.
import type { ActivePlan, ActiveResults, CaptureResult } from '../../src/snapshot/active.ts';

export function observedRun(
  plan: ActivePlan,
  lost: (id: number) => boolean = () => false,
  notLeft: (id: number) => boolean = () => false,
): ActiveResults {
  const captures: CaptureResult[] = plan.captures.map((c) => ({
    node: c.node,
    dev: c.dev,
    state: 'ran',
    packets: plan.probes.flatMap((p) => {
      const i = p.path.findIndex((x) => x.node === c.node && x.dev === c.dev);
      if (i < 0 || (i === 1 && lost(p.id)) || notLeft(p.id)) return [];
      return Array.from({ length: p.count }, () => ({ id: p.id, src: p.src, dst: p.dst, length: p.size }));
    }),
  }));
  const senders = [...new Set(plan.probes.map((p) => p.from))].map((node) => ({
    node,
    state: 'ran' as const,
    sends: plan.probes.filter((p) => p.from === node).map((p) => ({ id: p.id, sent: p.count })),
  }));
  return { senders, captures, elapsedMs: 1500 };
}
