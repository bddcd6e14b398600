// Bitwise operations on a number: `meta mark & 0x4000`, `meta mark | 0x4000` (nft_bitwise.c).
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { isUnknown } from '../types.ts';
import { literal } from '../value.ts';

const OPS: Readonly<Record<string, (a: number, b: number) => number>> = {
  '&': (a, b) => (a & b) >>> 0,
  '|': (a, b) => (a | b) >>> 0,
  '^': (a, b) => (a ^ b) >>> 0,
};

export function binop(op: string): ExprCompiler {
  const f = OPS[op] as (a: number, b: number) => number;
  return (body, cx): Expr | Unknown => {
    if (!Array.isArray(body) || body.length !== 2) return { unknown: `${op} with unexpected operands` };
    const left = cx.expr(body[0]);
    if (isUnknown(left)) return left;
    const right = literal('int', body[1]);
    if (typeof right !== 'number' || left.kind !== 'int') return { unknown: `${op} on a value that is not a number` };
    return {
      kind: 'int',
      eval: (c) => {
        const v = left.eval(c);
        return typeof v === 'number' ? f(v, right) : v;
      },
    };
  };
}
