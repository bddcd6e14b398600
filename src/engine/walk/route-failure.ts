// A failed route lookup (routing.ts) as the end of a branch.
import type { Ipv4 } from '../../lib/ipv4.ts';
import { renderRoute, renderRule } from '../../model/render/iproute2.ts';
import type { HostNet } from '../host-net.ts';
import { describeFibFailure } from '../routing.ts';
import type { FibFailure } from '../routing.ts';
import type { HopReason, TraceVerdict } from '../trace.ts';
import { die } from './state.ts';
import type { Leaf, State } from './state.ts';

export function failRoute(st: State, h: HostNet, f: FibFailure, dst: Ipv4, dev?: string): Leaf {
  const verdict: TraceVerdict =
    f.error === 'no-route'
      ? 'no-route'
      : f.error === 'blackhole'
        ? 'dropped'
        : f.error === 'unknown'
          ? 'unknown'
          : 'rejected';
  const reason: HopReason =
    f.error === 'no-route'
      ? { kind: 'no-route' }
      : f.error === 'unknown'
        ? { kind: 'not-modelled' }
        : { kind: 'route-refused' };
  const evidence = [
    ...(f.rule !== undefined ? [renderRule(f.rule)] : []),
    ...(f.route !== undefined ? [renderRoute(f.route)] : []),
    ...f.notes,
  ];
  return die(st, h.name, 'route', verdict, reason, describeFibFailure(f, dst), evidence, dev);
}
