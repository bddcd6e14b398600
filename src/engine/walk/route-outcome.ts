// A route lookup (routing.ts) on the walk: the lines that decided it, and a lookup that gives no
// way out as the end of a branch.
import type { Ipv4 } from '../../lib/ipv4.ts';
import { itemSaid, said } from '../../model/said.ts';
import type { Said } from '../../model/said.ts';
import type { HostNet } from '../host-net.ts';
import { describeFibFailure } from '../routing.ts';
import type { FibFailure, FibResult } from '../routing.ts';
import type { Route } from '../../model/types.ts';
import type { HopReason, TraceVerdict } from '../trace.ts';
import { die } from './state.ts';
import type { Leaf, State } from './state.ts';

/** The rule (unless it is the default `lookup local` at priority 0) and the route that decided. */
export function routeEvidence(fib: FibResult): Said[] {
  return [
    ...(fib.rule !== undefined && fib.rule.priority !== 0 ? [itemSaid({ rule: fib.rule })] : []),
    itemSaid({ route: fib.route }),
  ];
}

/** A route without an output device (a nexthop object, a multipath hop without one): not modelled. */
export function noOutputDevice(st: State, h: HostNet, r: Route, dev?: string): Leaf {
  return die(
    st,
    h.name,
    'route',
    'unknown',
    { kind: 'not-modelled' },
    said`route has no output device: ${{ route: r }}`,
    [itemSaid({ route: r })],
    dev,
  );
}

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
    ...(f.rule !== undefined ? [itemSaid({ rule: f.rule })] : []),
    ...(f.route !== undefined ? [itemSaid({ route: f.route })] : []),
    ...f.notes,
  ];
  return die(st, h.name, 'route', verdict, reason, describeFibFailure(f, dst), evidence, dev);
}
