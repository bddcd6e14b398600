// How a host printed an iptables rule: the rule's own line and counters, or, for a rule shared
// between hosts (model/parse/iptables-shared.ts), the host's counters put back into the line.
import type { IptRule, IptRuleSaid, IptRuleset } from './types.ts';

export function ruleSaid(rs: IptRuleset, rule: IptRule): IptRuleSaid {
  const said = rs.said?.(rule);
  if (said !== undefined) return said;
  return rule.counters === undefined ? { raw: rule.raw } : { raw: rule.raw, counters: rule.counters };
}

/** The line of `rule` as the host of `rulesets` that holds it printed it. */
export function printedOn(rulesets: readonly IptRuleset[], rule: IptRule): string {
  for (const rs of rulesets) {
    const said = rs.said?.(rule);
    if (said !== undefined) return said.raw;
  }
  return rule.raw;
}
