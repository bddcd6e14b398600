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
  const ids = [...prev];
  const out = applyDeltaNumbers(Int32Array.from(prev.keys()), ops, (id) => ids.push(id) - 1);
  return out === undefined ? undefined : Array.from(out, (n) => ids[n]!);
}

/**
 * applyDelta over the numbers ids stand for (`prev` holds them already; `number` gives a new id's):
 * a host record's kept ids cost a copy, not a lookup. Undefined as applyDelta.
 */
export function applyDeltaNumbers(
  prev: Int32Array,
  ops: readonly unknown[],
  number: (id: string) => number,
): Int32Array | undefined {
  let size = 0;
  for (const op of ops) {
    if (typeof op === 'string') size++;
    else if (typeof op !== 'number' || !Number.isInteger(op) || op === 0) return undefined;
    else if (op > 0) size += op;
  }
  const out = new Int32Array(size);
  let o = 0;
  let p = 0;
  for (const op of ops) {
    if (typeof op === 'string') out[o++] = number(op);
    else if ((op as number) < 0) p -= op as number;
    else {
      const k = op as number;
      if (p + k > prev.length) return undefined;
      out.set(prev.subarray(p, p + k), o);
      o += k;
      p += k;
    }
  }
  return out;
}
