// Label selectors (apimachinery pkg/labels, LabelSelectorAsSelector), three-valued: a label the
// snapshot does not hold (a namespace's labels other than kubernetes.io/metadata.name, which the
// API server sets on every namespace since 1.21) makes the answer unknown, never false.
import type { LabelSelector, SelectorRequirement } from '../../model/network-policy.ts';

export type Tri = 'yes' | 'no' | 'unknown';

/** Labels as far as they are known: `complete` false means keys not listed may still exist. */
export interface KnownLabels {
  labels: Readonly<Record<string, string>>;
  complete: boolean;
}

export function and(xs: readonly Tri[]): Tri {
  if (xs.includes('no')) return 'no';
  return xs.includes('unknown') ? 'unknown' : 'yes';
}

export function or(xs: readonly Tri[]): Tri {
  if (xs.includes('yes')) return 'yes';
  return xs.includes('unknown') ? 'unknown' : 'no';
}

function requirement(r: SelectorRequirement, l: KnownLabels): Tri {
  const v = l.labels[r.key];
  if (v === undefined && !l.complete) return 'unknown';
  const has = v !== undefined;
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(v) ? 'yes' : 'no';
    case 'NotIn':
      return has && r.values.includes(v) ? 'no' : 'yes';
    case 'Exists':
      return has ? 'yes' : 'no';
    case 'DoesNotExist':
      return has ? 'no' : 'yes';
    default:
      // The API server rejects other operators; a snapshot edited by hand may hold one.
      return 'unknown';
  }
}

export function selects(s: LabelSelector, l: KnownLabels): Tri {
  return and([
    ...Object.entries(s.matchLabels).map(([key, value]) => requirement({ key, operator: 'In', values: [value] }, l)),
    ...s.matchExpressions.map((r) => requirement(r, l)),
  ]);
}
