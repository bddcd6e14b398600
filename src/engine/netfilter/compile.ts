// Turns a parsed ruleset into predicates once. Chains compile on first use and stay cached per
// ruleset object (a WeakMap), so repeated hooks over a 100k-rule dump cost only the walk.
import type { IptRule, IptRuleset, IptTable } from '../../model/types.ts';
import type { CompiledChain, CompiledRule, CompiledRuleset, CompiledTable, Fork, Pred } from './compiled.ts';
import { compileMatch } from './matches/index.ts';
import { compileTarget } from './targets.ts';

export function compileRule(rule: IptRule, table: IptTable): CompiledRule {
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
          preds.push(c.pred);
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
  return { rule, preds, forks, unknowns, never, target: compileTarget(rule, table) };
}

function compileTable(table: IptTable): CompiledTable {
  const chains = new Map<string, CompiledChain>();
  return {
    table,
    chain(name) {
      let c = chains.get(name);
      if (c === undefined) {
        const chain = table.chains.get(name);
        if (chain === undefined) return undefined;
        c = { chain, rules: chain.rules.map((r) => compileRule(r, table)) };
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
          t = compileTable(table);
          tables.set(name, t);
        }
        return t;
      },
    };
    cache.set(ruleset, c);
  }
  return c;
}
