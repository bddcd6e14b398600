// A host's list of piece ids, written as edits of the previous host's list for the same section:
// most nodes hold the same pieces in the same order, so a host record stays a few hundred entries
// where its list has thousands. An op is a count of ids kept from the previous list (> 0), a
// count skipped (< 0), or a new id (a string).
export type DeltaOp = number | string;

export function encodeDelta(prev: readonly string[], cur: readonly string[]): DeltaOp[] {
  const at = new Map<string, number[]>();
  prev.forEach((id, i) => {
    const l = at.get(id);
    if (l === undefined) at.set(id, [i]);
    else l.push(i);
  });
  const ops: DeltaOp[] = [];
  const push = (op: number): void => {
    const last = ops.at(-1);
    if (typeof last === 'number' && Math.sign(last) === Math.sign(op)) ops[ops.length - 1] = last + op;
    else ops.push(op);
  };
  let p = 0;
  for (const id of cur) {
    if (prev[p] === id) {
      push(1);
      p++;
      continue;
    }
    const next = at.get(id)?.find((i) => i > p);
    if (next !== undefined) {
      push(p - next);
      push(1);
      p = next + 1;
    } else ops.push(id);
  }
  return ops;
}

/** The list `ops` encodes against `prev`; undefined when an op runs past `prev` or is not an op. */
export function applyDelta(prev: readonly string[], ops: readonly unknown[]): string[] | undefined {
  return applyDeltaAs(prev, ops, (id) => id);
}

/**
 * applyDelta over a list of what ids stand for (`prev` holds them already; `fresh` gives a new
 * id's, undefined to refuse it): a host record's kept ids cost a copy, not a lookup.
 */
export function applyDeltaAs<T>(
  prev: ArrayLike<T>,
  ops: readonly unknown[],
  fresh: (id: string) => T | undefined,
): T[] | undefined {
  const out: T[] = [];
  let p = 0;
  for (const op of ops) {
    if (typeof op === 'string') {
      const v = fresh(op);
      if (v === undefined) return undefined;
      out.push(v);
    } else if (typeof op !== 'number' || !Number.isInteger(op) || op === 0) return undefined;
    else if (op < 0) p -= op;
    else {
      if (p + op > prev.length) return undefined;
      for (let k = 0; k < op; k++) out.push(prev[p++]!);
    }
  }
  return out;
}
