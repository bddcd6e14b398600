// Native nftables chains: said once per node, so that nobody trusts a verdict through them blindly.
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import { describeNftChain, nativeNftChains } from '../nft-native.ts';
import type { NodeCheck } from './types.ts';

export const nativeNftablesCheck: NodeCheck = {
  name: 'native-nftables',
  describe: 'nftables base chains that netcheck does not evaluate',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.model.hosts.values()) {
      const chains = nativeNftChains(h);
      if (chains.length === 0) continue;
      out.push({
        id: 'nftables-not-evaluated',
        severity: 'warning',
        node: h.name,
        summary: `${h.name} has ${chains.length} native nftables base chain(s) that netcheck does not evaluate`,
        evidence: chains.slice(0, 8).map(describeNftChain),
        why: FINDINGS['nftables-not-evaluated'].meaning,
        fix: FINDINGS['nftables-not-evaluated'].fix,
      });
    }
    return out;
  },
};
