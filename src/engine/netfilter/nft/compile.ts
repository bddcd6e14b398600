// Compiles a native nftables table once (cached per table object): rules into statement lists,
// named sets into lookup structures on first use, anonymous sets per rule.
import type { NftRule, NftRuleset, NftTable } from '../../../model/types.ts';
import type { Unknown } from '../compiled.ts';
import { compileExpr } from './exprs/index.ts';
import { compileElements, compileNamedSet } from './sets.ts';
import { compileStatement } from './statements.ts';
import type { CompileCx, CompiledNftChain, CompiledNftRule, CompiledNftTable, CompiledSet } from './types.ts';
import { type Kind, literal } from './value.ts';

/** Data kinds of an anonymous value map, read from its first element's data. */
function anonymousDataKinds(elements: readonly unknown[]): Kind[] | undefined {
  const first = elements[0];
  const data = Array.isArray(first) ? first[1] : undefined;
  if (typeof data === 'number') return ['int'];
  if (typeof data === 'string' && literal('ipv4', data) !== undefined) return ['ipv4'];
  const parts = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['concat'] : undefined;
  if (Array.isArray(parts) && parts.length === 2) return ['ipv4', 'int'];
  return undefined;
}

function tableCx(table: NftTable): CompileCx {
  const named = new Map<string, CompiledSet | Unknown>();
  const cx: CompileCx = {
    table,
    expr: (json) => compileExpr(json, cx),
    set(ref, key, use) {
      if (key === undefined) return { unknown: 'a set keyed by a value the model cannot type' };
      if (typeof ref === 'string' && ref.startsWith('@')) {
        const name = ref.slice(1);
        const cacheKey = `${use}:${name}`;
        let c = named.get(cacheKey);
        if (c === undefined) {
          const s = table.sets.get(name);
          c =
            s === undefined
              ? { unknown: `set ${name} is not in table ${table.family} ${table.name}` }
              : compileNamedSet(s, use !== 'set');
          named.set(cacheKey, c);
        }
        return c;
      }
      const obj = typeof ref === 'object' && ref !== null ? (ref as Record<string, unknown>) : undefined;
      if (obj === undefined || !('set' in obj))
        return { unknown: `set reference ${JSON.stringify(ref)} not understood` };
      const elements = Array.isArray(obj['set']) ? obj['set'] : [obj['set']];
      const kinds = Array.isArray(key) ? key : [key];
      const dataKinds = use === 'set' ? undefined : use === 'vmap' ? 'verdict' : anonymousDataKinds(elements);
      if (use === 'map' && dataKinds === undefined) return { unknown: 'anonymous map data not understood' };
      return compileElements('an anonymous set', elements, kinds, dataKinds);
    },
  };
  return cx;
}

function compileRule(rule: NftRule, cx: CompileCx): CompiledNftRule {
  const stmts = rule.expr.map((s) => compileStatement(s, cx));
  const out: CompiledNftRule = { rule, stmts };
  const numgens = stmts.flatMap((s) =>
    s.k === 'match' && s.numgen !== undefined
      ? [s.numgen]
      : s.k === 'vmap' && s.key.numgen !== undefined
        ? [s.key.numgen]
        : [],
  );
  if (numgens.length > 1) out.stmts = [{ k: 'unknown', reason: 'more than one numgen in a rule' }];
  else if (numgens[0] !== undefined) out.numgen = numgens[0];
  return out;
}

const CACHE = new WeakMap<NftTable, CompiledNftTable>();

export function compileNftTable(table: NftTable): CompiledNftTable {
  const hit = CACHE.get(table);
  if (hit !== undefined) return hit;
  const cx = tableCx(table);
  const chains = new Map<string, CompiledNftChain>();
  const compiled: CompiledNftTable = {
    table,
    cx,
    chain(name) {
      let c = chains.get(name);
      if (c === undefined) {
        const chain = table.chains.get(name);
        if (chain === undefined) return undefined;
        c = { chain, rules: chain.rules.map((r) => compileRule(r, cx)) };
        chains.set(name, c);
      }
      return c;
    },
  };
  CACHE.set(table, compiled);
  return compiled;
}

/** Hooks where a packet may hold a local socket: sent by the host (output, postrouting) or received (input). */
const SOCKET_HOOKS: ReadonlySet<string> = new Set(['output', 'postrouting', 'input']);

/** Chains a packet at a socket hook may run: those base chains and every chain they jump or go to. */
function socketReach(table: NftTable): Set<string> {
  const reached = new Set<string>();
  const todo = [...table.chains.values()].filter((c) => c.hook !== undefined && SOCKET_HOOKS.has(c.hook));
  for (let c = todo.pop(); c !== undefined; c = todo.pop()) {
    if (reached.has(c.name)) continue;
    reached.add(c.name);
    for (const r of c.rules)
      for (const target of jumpTargets(r.expr)) {
        const next = table.chains.get(target);
        if (next !== undefined) todo.push(next);
      }
  }
  return reached;
}

/** Every `jump`/`goto` target in a rule's JSON, verdict maps' data included. */
function jumpTargets(json: unknown, out: string[] = []): string[] {
  if (Array.isArray(json)) for (const x of json) jumpTargets(x, out);
  else if (typeof json === 'object' && json !== null)
    for (const [k, v] of Object.entries(json)) {
      const target = (v as { target?: unknown } | null)?.target;
      if ((k === 'jump' || k === 'goto') && typeof target === 'string') out.push(target);
      else jumpTargets(v, out);
    }
  return out;
}

/**
 * Rules of `table` with a statement or expression the evaluator does not model, and why; a match
 * on the packet's socket counts where a packet holding a socket may run it (socketReach).
 */
export function unmodelledRules(table: NftTable): { rule: NftRule; reason: string }[] {
  const c = compileNftTable(table);
  const out: { rule: NftRule; reason: string }[] = [];
  let sockets: Set<string> | undefined;
  for (const name of table.chains.keys()) {
    for (const r of c.chain(name)?.rules ?? []) {
      for (const s of r.stmts) {
        if (s.k === 'match' && s.never === true) break;
        let reason = s.k === 'unknown' ? s.reason : s.k === 'match' ? s.why : undefined;
        if (reason === undefined && s.k === 'match' && s.socket !== undefined) {
          sockets ??= socketReach(table);
          if (sockets.has(name)) reason = `${s.socket} (the chain runs for packets the host sends or receives)`;
        }
        if (reason !== undefined) {
          out.push({ rule: r.rule, reason });
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Compiles the named sets and the base chains of the ip/inet tables now, for a caller that wants
 * kube-proxy's 10k-element service map paid before its first trace (as compileRulesetNow; a world
 * compiles on first use); the many small per-Service chains still compile when a trace reaches them.
 */
export function compileNftNow(nft: NftRuleset): void {
  for (const t of nft.tables) {
    if (t.family !== 'ip' && t.family !== 'inet') continue;
    const c = compileNftTable(t);
    for (const s of t.sets.values())
      c.cx.set(`@${s.name}`, 'int', s.kind === 'set' ? 'set' : s.map === 'verdict' ? 'vmap' : 'map');
    for (const ch of t.chains.values()) if (ch.hook !== undefined) c.chain(ch.name);
  }
}
