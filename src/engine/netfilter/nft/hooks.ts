// Which native nftables base chains run on a netfilter hook of an IPv4 packet, with their
// priorities. Tables iptables-nft made are left out: the iptables parser reads them from
// iptables-nft-save (model/parse/nft.ts isIptablesNftTable). Families: ip and inet hook IPv4
// packets; ip6 never sees them (skipped); arp is not IP. bridge chains (bridged packets) and
// netdev/inet ingress chains (before PREROUTING) are not walked: when one could see the packet,
// the outcome is unknown with that chain quoted.
import { isIptablesNftTable } from '../../../model/parse/nft.ts';
import type { NftChain, NftRule, NftRuleset, NftTable } from '../../../model/types.ts';
import type { Hook, HookInput } from '../types.ts';

export interface NativeBase {
  table: NftTable;
  chain: NftChain;
  priority: number;
  /** `type nat`: runs inside the NAT core, only for a connection's first packet. */
  nat: boolean;
}

interface ByHook {
  chains: Map<Hook, NativeBase[]>;
  ingress: NftChain[];
  bridge: NftChain[];
}

const HOOKS: Readonly<Record<string, Hook>> = {
  prerouting: 'PREROUTING',
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  postrouting: 'POSTROUTING',
};

/** A chain that could change the packet's fate: it has rules, or drops by policy. */
const acts = (c: NftChain): boolean => c.rules.length > 0 || c.policy === 'drop';

const CACHE = new WeakMap<NftRuleset, ByHook>();

function index(nft: NftRuleset): ByHook {
  const hit = CACHE.get(nft);
  if (hit !== undefined) return hit;
  const out: ByHook = { chains: new Map(), ingress: [], bridge: [] };
  for (const t of nft.tables) {
    for (const c of t.chains.values()) {
      if (c.hook === undefined || !acts(c)) continue;
      if (t.family === 'bridge') out.bridge.push(c);
      else if ((t.family === 'netdev' || t.family === 'inet') && c.hook === 'ingress') out.ingress.push(c);
      if ((t.family !== 'ip' && t.family !== 'inet') || isIptablesNftTable(t)) continue;
      const hook = HOOKS[c.hook];
      if (hook === undefined) continue;
      const list = out.chains.get(hook) ?? [];
      list.push({ table: t, chain: c, priority: c.prio ?? 0, nat: c.type === 'nat' });
      out.chains.set(hook, list);
    }
  }
  for (const list of out.chains.values()) list.sort((a, b) => a.priority - b.priority);
  CACHE.set(nft, out);
  return out;
}

export function nativeChainsOn(nft: NftRuleset, hook: Hook): readonly NativeBase[] {
  return index(nft).chains.get(hook) ?? [];
}

/** A base chain the walk does not follow that can see this packet, if any. */
export function blindChainFor(nft: NftRuleset, input: HookInput): NftChain | undefined {
  const ix = index(nft);
  if (input.physdev?.bridged === true && ix.bridge.length > 0) return ix.bridge[0];
  if (input.hook === 'PREROUTING' && input.inIface !== undefined) {
    const dev = input.inIface;
    return ix.ingress.find((c) => c.devices === undefined || c.devices.includes(dev));
  }
  return undefined;
}

/** The header of a base chain in `nft list` syntax, for evidence. */
export function chainHeader(c: NftChain): string {
  const dev = c.devices === undefined ? '' : ` devices = { ${c.devices.join(', ')} }`;
  return `table ${c.family} ${c.table} chain ${c.name} { type ${c.type ?? 'filter'} hook ${c.hook ?? '?'}${dev} priority ${c.prio ?? 0}; policy ${c.policy ?? 'accept'}; }`;
}

/** A chain quoted as the rule an unknown outcome names (its first rule, or its header). */
export function chainAsRule(c: NftChain): NftRule {
  return (
    c.rules[0] ?? {
      family: c.family,
      table: c.table,
      chain: c.name,
      position: 0,
      expr: [],
      text: chainHeader(c),
      raw: c.raw,
    }
  );
}
