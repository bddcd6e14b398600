// nftables base chains that iptables-nft did not write (kube-proxy nftables mode, firewalld, a
// host firewall). The engine evaluates iptables rulesets only; a path through a node with such
// chains is reported unknown rather than guessed (docs/findings.md: nftables-not-evaluated), and
// doctor says once per node that they are there.
import { isIptablesNftTable } from '../../model/parse/nft.ts';
import type { HostState, NftChain } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';

const IP_HOOKS = new Set(['prerouting', 'input', 'forward', 'output', 'postrouting']);

/** Hooked IPv4 base chains outside iptables-nft's own tables that hold rules or drop by policy. */
export function nativeNftChains(h: HostState): NftChain[] {
  const out: NftChain[] = [];
  for (const t of h.nft?.tables ?? []) {
    if ((t.family !== 'ip' && t.family !== 'inet') || isIptablesNftTable(t)) continue;
    for (const c of t.chains.values()) {
      if (c.hook !== undefined && IP_HOOKS.has(c.hook) && (c.rules.length > 0 || c.policy === 'drop')) out.push(c);
    }
  }
  return out;
}

export function describeNftChain(c: NftChain): string {
  return `table ${c.family} ${c.table} chain ${c.name} { type ${c.type ?? '?'} hook ${c.hook ?? '?'} priority ${c.prio ?? '?'}; policy ${c.policy ?? 'accept'}; } (${c.rules.length} rules)`;
}

export const nativeNftablesCheck: NodeScopeCheck = {
  name: 'native-nftables',
  describe: 'nftables base chains that netcheck does not evaluate',
  scope: 'node',
  emits: ['nftables-not-evaluated'],
  onPath: false,
  needs: fixedNeeds(['nft']),
  node(_ctx, h) {
    const chains = nativeNftChains(h);
    if (chains.length === 0) return [];
    return [
      finding('nftables-not-evaluated', {
        node: h.name,
        summary: `${h.name} has ${chains.length} native nftables base chain(s) that netcheck does not evaluate`,
        evidence: chains.slice(0, 8).map(describeNftChain),
      }),
    ];
  },
};
