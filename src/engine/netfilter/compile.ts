// Turns a parsed ruleset into predicates once. Chains compile on first use and stay cached per
// ruleset object (a WeakMap), so repeated hooks over a 100k-rule dump cost only the walk.
import type { IptChain, IptRule, IptRuleset, IptTable } from '../../model/types.ts';
import { SavedRule } from '../../model/parse/iptables-save/saved-rule.ts';
import { OverlayChains } from '../../model/parse/iptables-shared/overlay-chains.ts';
import { ruleSaid } from '../../model/rule-said.ts';
import type {
  CompiledChain,
  CompiledRule,
  CompiledRuleset,
  CompiledTable,
  CompiledTarget,
  DstRun,
  Fork,
  Pred,
} from './compiled.ts';
import { parseAddrMask } from './options.ts';
import { compileMatch } from './matches/index.ts';
import { compileTarget } from './targets.ts';

/** A rule's compiled matches and targets, by what the rule shares with other hosts' (SavedRule.shared). */
interface SharedCompile {
  matches: Pick<CompiledRule, 'preds' | 'forks' | 'unknowns' | 'never'>;
  /** The target when its name is a user chain of the table, and when not. */
  jump?: CompiledTarget;
  other?: CompiledTarget;
  /** exactDestination(rule), null for none. */
  dst?: number | null;
}

const sharedCompiles = new WeakMap<object, SharedCompile>();

function sharedCompile(rule: IptRule): SharedCompile {
  const key = SavedRule.shared(rule);
  let s = sharedCompiles.get(key);
  if (s === undefined) sharedCompiles.set(key, (s = { matches: compileMatches(rule) }));
  return s;
}

/**
 * Compiles a rule for `table`. A rule whose line is on many hosts (a v2 snapshot's shared pieces)
 * is compiled once for all of them: only the target depends on the host's table, on whether it
 * has a user chain of the target's name (targets.ts compileTarget).
 */
export function compileRule(rule: IptRule, table: IptTable): CompiledRule {
  const s = sharedCompile(rule);
  const t = rule.target;
  const jump = t !== null && table.chains.has(t.name);
  const target = jump ? (s.jump ??= compileTarget(rule, table)) : (s.other ??= compileTarget(rule, table));
  return { rule, ...s.matches, target };
}

function compileMatches(rule: IptRule): Pick<CompiledRule, 'preds' | 'forks' | 'unknowns' | 'never'> {
  const preds: Pred[] = [];
  const forks: Fork[] = [];
  const unknowns: string[] = [];
  let never = false;
  for (const m of rule.matches) {
    for (const c of compileMatch(m)) {
      switch (c.kind) {
        case 'always':
          break;
        case 'never':
          never = true;
          break;
        case 'pred':
          // The kernel runs a rule's matches in order and stops at the first that fails, so a
          // side effect happens only if every match before it held. Forks and undecidable matches
          // are settled after the predicates here: a side effect behind one is unknown.
          if (c.effect === true && (forks.length > 0 || unknowns.length > 0))
            unknowns.push(`-m ${m.module}: whether it changes its list depends on an earlier match of the rule`);
          else preds.push(c.pred);
          break;
        case 'fork':
          forks.push(c.fork);
          break;
        case 'unknown':
          unknowns.push(c.reason);
          break;
      }
    }
  }
  return { preds, forks, unknowns, never };
}

/** Shortest run worth indexing: below it, testing the rules is as quick as the lookup. */
const MIN_DST_RUN = 8;

/**
 * The exact destination a rule requires (`-d A.B.C.D` or `/32`, not negated), if any. A rule
 * whose -d does not hold never matches, whatever its other matches (ip_packet_match() tests the
 * addresses first, and every match must hold), so such a rule can be skipped for another destination.
 */
function exactDestination(rule: IptRule): number | undefined {
  for (const m of rule.matches) {
    if (m.module !== null) continue;
    for (const o of m.options) {
      if (o.name !== 'd' || o.negated) continue;
      const am = parseAddrMask(o.args[0]);
      return am !== undefined && am.mask === 0xffffffff ? am.net : undefined;
    }
  }
  return undefined;
}

/** Indexes the long runs of exact-destination rules of a chain (CompiledChain.dstRunAt). */
export function indexDestinationRuns(rules: readonly IptRule[]): (DstRun | undefined)[] | undefined {
  const keys = rules.map((r) => {
    const s = sharedCompile(r);
    if (s.dst === undefined) s.dst = exactDestination(r) ?? null;
    return s.dst ?? undefined;
  });
  let runAt: (DstRun | undefined)[] | undefined;
  for (let i = 0; i < keys.length; ) {
    if (keys[i] === undefined) {
      i++;
      continue;
    }
    let end = i;
    while (end < keys.length && keys[end] !== undefined) end++;
    if (end - i >= MIN_DST_RUN) {
      const run: DstRun = { start: i, end, byDst: new Map() };
      for (let j = i; j < end; j++) {
        const k = keys[j]!;
        const list = run.byDst.get(k);
        if (list === undefined) run.byDst.set(k, [j]);
        else list.push(j);
      }
      runAt ??= new Array<DstRun | undefined>(keys.length).fill(undefined);
      for (let j = i; j < end; j++) runAt[j] = run;
    }
    i = end;
  }
  return runAt;
}

/**
 * A chain compiled once for every host holding the same chain object (a v2 snapshot's shared
 * chains, model/parse/iptables-shared.ts), with the target names it compiled as jumps to a user
 * chain and as not: it serves a table that has exactly those user chains among its targets.
 */
interface SharedChain {
  compiled: CompiledChain;
  /** The table it was compiled in. */
  table: IptTable;
  jumps: Set<string>;
  others: Set<string>;
}

const sharedChains = new WeakMap<IptChain, SharedChain>();

/** Whether `table` has the same user chains among `s`'s targets as the table `s` was compiled in. */
function fits(s: SharedChain, table: IptTable): boolean {
  const agrees = (n: string): boolean =>
    s.jumps.has(n) ? table.chains.has(n) : s.others.has(n) ? !table.chains.has(n) : true;
  const a = s.table.chains;
  const b = table.chains;
  // Two views over the same shared chains differ only where either has chains of its own.
  const baseOf = (m: ReadonlyMap<string, IptChain>) => (m instanceof OverlayChains ? m.base : m);
  if (baseOf(a) === baseOf(b)) {
    for (const m of [a, b]) if (m instanceof OverlayChains) for (const n of m.own.keys()) if (!agrees(n)) return false;
    return true;
  }
  for (const n of s.jumps) if (!b.has(n)) return false;
  for (const n of s.others) if (b.has(n)) return false;
  return true;
}

function compileChain(chain: IptChain, table: IptTable): CompiledChain {
  const s = sharedChains.get(chain);
  if (s !== undefined && fits(s, table)) return s.compiled;
  const c: CompiledChain = { chain, rules: chain.rules.map((r) => compileRule(r, table)) };
  const runs = chain.rules.length >= MIN_DST_RUN ? indexDestinationRuns(chain.rules) : undefined;
  if (runs !== undefined) c.dstRunAt = runs;
  if (s === undefined) {
    const jumps = new Set<string>();
    const others = new Set<string>();
    for (const r of chain.rules)
      if (r.target !== null) (table.chains.has(r.target.name) ? jumps : others).add(r.target.name);
    sharedChains.set(chain, { compiled: c, table, jumps, others });
  }
  return c;
}

function compileTable(table: IptTable, ruleset: IptRuleset): CompiledTable {
  const chains = new Map<string, CompiledChain>();
  return {
    table,
    printed: (rule) => ruleSaid(ruleset, rule).raw,
    chain(name) {
      let c = chains.get(name);
      if (c === undefined) {
        const chain = table.chains.get(name);
        if (chain === undefined) return undefined;
        c = compileChain(chain, table);
        chains.set(name, c);
      }
      return c;
    },
  };
}

const cache = new WeakMap<IptRuleset, CompiledRuleset>();

export function compileRuleset(ruleset: IptRuleset): CompiledRuleset {
  let c = cache.get(ruleset);
  if (c === undefined) {
    const tables = new Map<string, CompiledTable>();
    c = {
      ruleset,
      table(name) {
        let t = tables.get(name);
        if (t === undefined) {
          const table = ruleset.tables.get(name);
          if (table === undefined) return undefined;
          t = compileTable(table, ruleset);
          tables.set(name, t);
        }
        return t;
      },
    };
    cache.set(ruleset, c);
  }
  return c;
}

/** Chains at least this long are compiled by compileRulesetNow; shorter ones on first use. */
export const EAGER_CHAIN_RULES = 16;

/**
 * Compiles the built-in chains and every long chain now rather than on first use, for a caller
 * that wants kube-proxy's KUBE-SERVICES (a few hundred milliseconds at 10k Services) paid before
 * its first trace (bench/engine-trace.bench.ts). A world does not call it: `doctor` reaches none
 * of these chains on most clusters, and a command that traces pays the same, at its first trace.
 * The many short chains (KUBE-SVC-*, KUBE-SEP-*: a few rules each) compile in microseconds when a
 * trace reaches them; compiling all of them would cost seconds for the few that any trace touches.
 */
export function compileRulesetNow(ruleset: IptRuleset): CompiledRuleset {
  const c = compileRuleset(ruleset);
  for (const [name, table] of ruleset.tables) {
    const t = c.table(name);
    for (const chain of eagerChains(table.chains)) t?.chain(chain);
  }
  return c;
}

const isEager = (chain: IptChain): boolean => chain.policy !== null || chain.rules.length >= EAGER_CHAIN_RULES;

const eagerOfShared = new WeakMap<ReadonlyMap<string, IptChain>, string[]>();

/** The chains compileRulesetNow compiles; for a host's view over shared chains, the shared list once. */
function eagerChains(chains: ReadonlyMap<string, IptChain>): string[] {
  if (!(chains instanceof OverlayChains)) return [...chains.values()].filter(isEager).map((c) => c.name);
  let shared = eagerOfShared.get(chains.base);
  if (shared === undefined) eagerOfShared.set(chains.base, (shared = eagerChains(chains.base)));
  const own = [...chains.own].filter(([, c]) => c !== undefined && isEager(c)).map(([n]) => n);
  return [...shared.filter((n) => !chains.own.has(n)), ...own];
}
