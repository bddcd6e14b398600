// nftables expressions by JSON key → compiler (libnftables-json(5) "EXPRESSIONS"). A key
// missing here compiles to unknown: the rule is then reported, never guessed.
import type { Unknown } from '../../compiled.ts';
import type { CompileCx, Expr, ExprCompiler } from '../types.ts';
import { binop } from './binop.ts';
import { compileConcat } from './concat.ts';
import { compileCt } from './ct.ts';
import { compileFib } from './fib.ts';
import { compileMapExpr } from './map.ts';
import { compileMeta } from './meta.ts';
import { compileNumgen } from './numgen.ts';
import { compilePayload } from './payload.ts';

const COMPILERS: Readonly<Record<string, ExprCompiler>> = {
  payload: compilePayload,
  meta: compileMeta,
  ct: compileCt,
  fib: compileFib,
  numgen: compileNumgen,
  concat: compileConcat,
  map: compileMapExpr,
  '&': binop('&'),
  '|': binop('|'),
  '^': binop('^'),
};

export function compileExpr(json: unknown, cx: CompileCx): Expr | Unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return { unknown: `expression ${JSON.stringify(json)} is not modelled` };
  const keys = Object.keys(json);
  const key = keys[0];
  const c = key === undefined || keys.length !== 1 ? undefined : COMPILERS[key];
  if (c === undefined) return { unknown: `expression "${keys.join(',')}" is not modelled` };
  return c((json as Record<string, unknown>)[key as string], cx);
}
