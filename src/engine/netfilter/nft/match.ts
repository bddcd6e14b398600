// The `match` statement: LEFT OP RIGHT, where RIGHT is a literal, a prefix or range, a flag list,
// a concatenation, an anonymous set or a named `@set` (libnftables-json(5) "MATCH").
import type { Unknown } from '../compiled.ts';
import { inPart, type Part, partOf } from './sets.ts';
import type { CompileCx, CompiledSet, NftCtx, Stmt } from './types.ts';
import { isUnknown } from './types.ts';
import { ABSENT, FLAG_KINDS, type Kind, literal, OPAQUE, type Value } from './value.ts';

type Test = (v: Value, ctx: NftCtx) => boolean | Unknown;

const OPAQUE_WHY = { unknown: 'the match reads header bytes the model does not carry' };

function setTest(set: CompiledSet, negate: boolean): Test {
  return (v, ctx) => {
    const i = set.find(v);
    if (isUnknown(i)) return i;
    if (set.note !== undefined) ctx.assume(set.note);
    return (i !== undefined) !== negate;
  };
}

function partsOf(kind: Kind | Kind[], right: unknown): Part[] | undefined {
  if (!Array.isArray(kind)) {
    const p = partOf(kind, right);
    return p === undefined ? undefined : [p];
  }
  const r = right as Record<string, unknown> | null;
  const items = typeof r === 'object' && r !== null && Array.isArray(r['concat']) ? r['concat'] : undefined;
  if (items === undefined || items.length !== kind.length) return undefined;
  const out: Part[] = [];
  for (let i = 0; i < kind.length; i++) {
    const p = partOf(kind[i] as Kind, items[i]);
    if (p === undefined) return undefined;
    out.push(p);
  }
  return out;
}

function valueTest(kind: Kind | Kind[], op: string, right: unknown): Test | undefined {
  if (!Array.isArray(kind) && FLAG_KINDS.has(kind) && (op === 'in' || op === '==' || op === '!=')) {
    const bits = literal(kind, right);
    if (typeof bits !== 'number') return undefined;
    // `ct state established,related` is `in`: any of the bits (src/evaluate.c, flag types).
    if (op === 'in') return (v) => typeof v === 'number' && (v & bits) !== 0;
    return (v) => (typeof v === 'number' && v === bits) === (op === '==');
  }
  const parts = partsOf(kind, right);
  if (parts === undefined) return undefined;
  const first = parts[0] as Part;
  if (op === '<' || op === '>' || op === '<=' || op === '>=') {
    if (parts.length !== 1 || !('lo' in first) || first.lo !== first.hi) return undefined;
    const n = first.lo;
    const cmp =
      op === '<'
        ? (v: number) => v < n
        : op === '>'
          ? (v: number) => v > n
          : op === '<='
            ? (v: number) => v <= n
            : (v: number) => v >= n;
    return (v) => (v === OPAQUE ? OPAQUE_WHY : typeof v === 'number' && cmp(v));
  }
  if (op !== '==' && op !== '!=' && op !== 'in') return undefined;
  const negate = op === '!=';
  return (v) => {
    const vs = parts.length > 1 ? (Array.isArray(v) ? v : []) : [v];
    let maybe = false;
    for (let i = 0; i < parts.length; i++) {
      const r = inPart(vs[i] as Value, parts[i] as Part);
      if (r === false) return negate;
      if (r === undefined) maybe = true;
    }
    return maybe ? OPAQUE_WHY : !negate;
  };
}

export function compileMatchStmt(body: unknown, cx: CompileCx): Stmt {
  const o = (body ?? {}) as Record<string, unknown>;
  let op = typeof o['op'] === 'string' ? o['op'] : '==';
  const left = cx.expr(o['left']);
  if (isUnknown(left)) return { k: 'match', test: () => left, why: left.unknown };
  // An IPv6 header field: absent from every IPv4 packet, whatever it is compared with.
  if (left.constant === true && left.eval({} as NftCtx) === ABSENT)
    return { k: 'match', test: () => false, never: true };
  let right = o['right'];
  // `fib ... oif exists` is `!= 0` (src/fib.c: a boolean on the result).
  if (left.kind === 'fiboif' && (right === true || right === 'exists')) {
    right = 0;
    op = op === '!=' ? '==' : '!=';
  }
  let test: Test | undefined;
  let why: string | undefined;
  if (left.kind === undefined) why = 'a match on a map lookup is not modelled';
  else if (typeof right === 'string' && right.startsWith('@')) {
    const s = cx.set(right, left.kind, 'set');
    if (isUnknown(s)) why = s.unknown;
    else if (op === '==' || op === '!=' || op === 'in') test = setTest(s, op === '!=');
  } else if (typeof right === 'object' && right !== null && 'set' in right) {
    const s = cx.set(right, left.kind, 'set');
    if (isUnknown(s)) why = s.unknown;
    else if (op === '==' || op === '!=' || op === 'in') test = setTest(s, op === '!=');
  } else test = valueTest(left.kind, op, right);
  if (test === undefined) {
    const reason = why ?? `match ${op} ${JSON.stringify(right)} not understood`;
    return { k: 'match', test: () => ({ unknown: reason }), why: reason };
  }
  const t = test;
  const ev = left.eval;
  const stmt: Stmt = {
    k: 'match',
    test: (ctx) => {
      const v = ev(ctx);
      if (isUnknown(v)) return v;
      // The header the expression reads is not there: the rule breaks, whatever the operator.
      if (v === ABSENT || (Array.isArray(v) && v.includes(ABSENT))) return false;
      if (v === OPAQUE) return OPAQUE_WHY;
      return t(v, ctx);
    },
  };
  if (left.numgen !== undefined) stmt.numgen = left.numgen;
  if (left.socket !== undefined) stmt.socket = left.socket;
  // A constant left side (IPv6-only matches) is decided without a packet.
  if (left.constant === true && stmt.test({} as NftCtx) === false)
    return { k: 'match', test: () => false, never: true };
  return stmt;
}
