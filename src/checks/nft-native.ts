// nftables base chains that iptables-nft did not write (kube-proxy nftables mode, firewalld, a
// host firewall). The engine evaluates iptables rulesets only; a path through a node with such
// chains is reported unknown rather than guessed (docs/findings.md: nftables-not-evaluated).
import { isIptablesNftTable } from '../model/parse/nft.ts';
import type { HostState, NftChain } from '../model/types.ts';

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
