// Shapes of a compiled native nftables ruleset: expressions as functions of the packet, rules as
// statement lists, chains resolved by name. Compiled once per ruleset object (compile.ts).
import type { NftChain, NftRule, NftTable } from '../../../model/types.ts';
import type { MatchCtx, NatKind, NatRange, Unknown } from '../compiled.ts';
import type { Kind, Value } from './value.ts';

/** What an expression sees: the match context plus the number `numgen` drew on this branch. */
export interface NftCtx extends MatchCtx {
  numgen: number | undefined;
}

export type Eval = (ctx: NftCtx) => Value | Unknown;

export interface Expr {
  /** How literals compared with it are read; an array for a concatenation; undefined for a verdict-free opaque value. */
  kind: Kind | Kind[] | undefined;
  eval: Eval;
  /** The same for every IPv4 packet (`meta nfproto`, an IPv6 header field). */
  constant?: true;
  /** Set when the expression is (or contains) `numgen random mod N`: the walk branches N ways. */
  numgen?: { mod: number; offset: number; text: string };
  /**
   * Set when the expression reads the packet's socket (`meta skuid`): why it cannot be decided
   * for a packet a local socket may hold (sent by the host; received at input). Elsewhere there
   * is no socket and the rule breaks, which the walk decides.
   */
  socket?: string;
}

export const isUnknown = (v: unknown): v is Unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'unknown' in v;

/** A verdict as a statement or as the data of a verdict map. */
export type NftVerdict = { kind: 'accept' | 'drop' | 'return' | 'continue' } | { kind: 'jump' | 'goto'; chain: string };

/** A set or map compiled for lookups. */
export interface CompiledSet {
  name: string;
  /** Undefined: no element; else the element's index. Unknown when an unmodelled part of the key decides. */
  find(key: Value): number | undefined | Unknown;
  /** Maps: the data of element i (a verdict or a value). */
  data(i: number): NftVerdict | Value | undefined;
  /** A condition the lookup rests on (a dynamic set whose contents change with traffic). */
  note?: string;
}

/** Where expressions and set references are resolved while compiling a rule. */
export interface CompileCx {
  table: NftTable;
  expr(json: unknown): Expr | Unknown;
  /** `@name` of the table, or an anonymous `{ "set": [...] }`, keyed like `key`; `use`: as a set, verdict map or value map. */
  set(ref: unknown, key: Kind | Kind[] | undefined, use: SetUse): CompiledSet | Unknown;
}

export type SetUse = 'set' | 'vmap' | 'map';

export type ExprCompiler = (body: unknown, cx: CompileCx) => Expr | Unknown;

export type Stmt =
  /**
   * `why`: set when the match can never be decided (an expression or operand not modelled).
   * `never`: it can never hold for an IPv4 packet (`meta nfproto ipv6`).
   */
  | {
      k: 'match';
      test: (ctx: NftCtx) => boolean | Unknown;
      numgen?: Expr['numgen'];
      why?: string;
      never?: true;
      /** Undecidable only for packets a local socket may hold (Expr.socket). */
      socket?: string;
    }
  | { k: 'verdict'; v: NftVerdict }
  | { k: 'vmap'; key: Expr; map: CompiledSet }
  | { k: 'reject'; with: string }
  /** Counters, log, limit (assumed within), set updates: nothing the walk follows changes. */
  | { k: 'inert'; note: string; assume?: string }
  | { k: 'mark'; target: 'meta' | 'ct'; value: Expr }
  | {
      k: 'nat';
      nat: NatKind;
      /** The range, fixed or looked up per packet (`dnat to ip daddr map @m`). */
      range: (ctx: NftCtx) => NatRange | undefined | Unknown;
      randomFully: boolean;
      text: string;
    }
  | { k: 'notrack' }
  | { k: 'unknown'; reason: string };

export interface CompiledNftRule {
  rule: NftRule;
  stmts: Stmt[];
  /** `numgen` in this rule: the walk branches before running it. */
  numgen?: Expr['numgen'];
}

export interface CompiledNftChain {
  chain: NftChain;
  rules: CompiledNftRule[];
}

export interface CompiledNftTable {
  table: NftTable;
  /** Resolves the table's sets (cached per name and use). */
  cx: CompileCx;
  chain(name: string): CompiledNftChain | undefined;
}
