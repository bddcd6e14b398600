// -m set [!] --match-set NAME FLAGS [--return-nomatch] [! --update-counters ...]
// (net/netfilter/xt_set.c set_match_v4 → ip_set_test; membership in ipset-lookup.ts).
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { testSet } from '../ipset-lookup.ts';
import { applyNegation, badOption, commaList } from '../options.ts';

/** Options that only steer counters; they never change whether the match is true. */
const COUNTER_OPTIONS: ReadonlySet<string> = new Set(['update-counters', 'update-subcounters']);

export function compileSetMatch(m: IptMatch): CompiledMatch[] {
  const out: CompiledMatch[] = [];
  let returnNomatch = false;
  const tests: { name: string; flags: boolean[]; neg: boolean }[] = [];
  for (const o of m.options) {
    if (o.name === 'match-set' && o.args.length === 2) {
      const flags = commaList(o.args[1]).map((f) => f.toLowerCase());
      if (flags.length === 0 || flags.some((f) => f !== 'src' && f !== 'dst')) {
        out.push(badOption('set', o));
        continue;
      }
      tests.push({ name: o.args[0] as string, flags: flags.map((f) => f === 'src'), neg: o.negated });
    } else if (o.name === 'return-nomatch' && o.args.length === 0) {
      returnNomatch = true;
    } else if (COUNTER_OPTIONS.has(o.name) && o.args.length === 0) {
    } else {
      // --packets-gt/--bytes-lt... compare counters the snapshot does not have.
      out.push(badOption('set', o));
    }
  }
  for (const t of tests) {
    const opts = { flags: t.flags, returnNomatch };
    out.push({ kind: 'pred', pred: (c) => applyNegation(testSet(c.env, t.name, c.packet, opts), t.neg) });
  }
  return out;
}
