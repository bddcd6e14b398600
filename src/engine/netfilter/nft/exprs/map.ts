// `KEY map @name` / `KEY map { k : v, ... }` as a value (`dnat to ip daddr map @backends`): the
// data of the element the key finds; no element fails the rule (nft_lookup: NFT_BREAK).
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { isUnknown } from '../types.ts';
import { ABSENT, type Value } from '../value.ts';

export const compileMapExpr: ExprCompiler = (body, cx): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const key = cx.expr(o['key']);
  if (isUnknown(key)) return key;
  const map = cx.set(o['data'], key.kind, 'map');
  if (isUnknown(map)) return map;
  const out: Expr = {
    kind: undefined,
    eval: (c) => {
      const k = key.eval(c);
      if (isUnknown(k)) return k;
      const i = map.find(k);
      if (i === undefined) return ABSENT;
      if (isUnknown(i)) return i;
      const d = map.data(i);
      return d === undefined || (typeof d === 'object' && !Array.isArray(d) && 'kind' in d) ? ABSENT : (d as Value);
    },
  };
  if (key.numgen !== undefined) out.numgen = key.numgen;
  return out;
};
