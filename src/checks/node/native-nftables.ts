// Native nftables rules the evaluator does not model (engine/netfilter/nft): a statement or
// expression it cannot compile, or a bridge/ingress base chain it does not walk. The walk reports
// a path that reaches one as unknown with the rule quoted; doctor says once per node which ones
// there are (docs/findings.md: nftables-not-evaluated).
import { unmodelledRules } from '../../engine/netfilter/nft/compile.ts';
import { chainHeader } from '../../engine/netfilter/nft/hooks.ts';
import { isIptablesNftTable } from '../../model/parse/nft.ts';
import type { HostState, NftChain } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';

const walked = (family: string): boolean => family === 'ip' || family === 'inet';
const acts = (c: NftChain): boolean => c.rules.length > 0 || c.policy === 'drop';

/** Evidence lines: each native rule the evaluator cannot decide, and each base chain it does not walk. */
export function unmodelledNft(h: HostState): string[] {
  const out: string[] = [];
  for (const t of h.nft?.tables ?? []) {
    if (isIptablesNftTable(t)) continue;
    for (const c of t.chains.values()) {
      const blind =
        c.hook !== undefined && acts(c) && (t.family === 'bridge' || t.family === 'netdev' || c.hook === 'ingress');
      if (blind) out.push(`${chainHeader(c)}: not walked`);
    }
    if (!walked(t.family)) continue;
    for (const u of unmodelledRules(t))
      out.push(`table ${t.family} ${t.name} chain ${u.rule.chain}: ${u.rule.text}: ${u.reason}`);
  }
  return out;
}

export const nativeNftablesCheck: NodeScopeCheck = {
  name: 'native-nftables',
  describe: 'native nftables rules that netcheck does not model',
  scope: 'node',
  emits: ['nftables-not-evaluated'],
  onPath: false,
  needs: fixedNeeds(['nft']),
  node(_ctx, h) {
    const lines = unmodelledNft(h);
    if (lines.length === 0) return [];
    return [
      finding('nftables-not-evaluated', {
        node: h.name,
        summary: `${h.name} has ${lines.length} native nftables rule(s) or chain(s) that netcheck does not model`,
        evidence: lines.slice(0, 8),
      }),
    ];
  },
};
