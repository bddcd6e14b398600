// Concatenations: `ip daddr . meta l4proto . th dport` yields the parts in order; a set keyed by
// the concatenation compares them part by part (kube-proxy's service maps).
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { isUnknown } from '../types.ts';
import type { Kind, Value } from '../value.ts';

export const compileConcat: ExprCompiler = (body, cx): Expr | Unknown => {
  if (!Array.isArray(body)) return { unknown: 'concatenation without parts' };
  const parts: Expr[] = [];
  for (const p of body) {
    const e = cx.expr(p);
    if (isUnknown(e)) return e;
    if (e.kind === undefined || Array.isArray(e.kind)) return { unknown: 'nested concatenation' };
    parts.push(e);
  }
  const numgen = parts.find((p) => p.numgen !== undefined)?.numgen;
  const out: Expr = {
    kind: parts.map((p) => p.kind as Kind),
    eval: (c) => {
      const vs: Value[] = [];
      for (const p of parts) {
        const v = p.eval(c);
        if (isUnknown(v)) return v;
        vs.push(v);
      }
      return vs;
    },
  };
  if (numgen !== undefined) out.numgen = numgen;
  return out;
};
