// The nftables backend knob of the routed differential template: the scenario's filter and nat
// rules written as one native nftables table (family ip or inet) loaded with `nft -f`, instead of
// iptables-nft-restore. A rule the translation does not cover (kube-proxy's `-m recent` affinity
// rules) stays in iptables, so those scenarios also run native chains and iptables tables on the
// same hooks. The native nat chains sit at dstnat+10 / srcnat+10 (as firewalld's do), so their
// order against iptables' nat table is fixed, not left to hook registration order.
import { type Rand, pick } from './routed.ts';

export const NATIVE_TABLE = 'netcheck-diff';

/** `nft -f` input that removes the knob's table of either family (creating it first, so it never fails). */
export const CLEAR_NATIVE = (['ip', 'inet'] as const)
  .map((f) => `table ${f} ${NATIVE_TABLE}\ndelete table ${f} ${NATIVE_TABLE}\n`)
  .join('');

const HOOK_CHAINS: Readonly<Record<string, { table: 'filter' | 'nat'; chain: string }>> = {
  INPUT: { table: 'filter', chain: 'input' },
  FORWARD: { table: 'filter', chain: 'forward' },
  OUTPUT: { table: 'filter', chain: 'output' },
  PREROUTING: { table: 'nat', chain: 'prerouting' },
  POSTROUTING: { table: 'nat', chain: 'postrouting' },
};

/** `-A CHAIN <spec>` in the knob's vocabulary → [chain, nft rule]; undefined for anything else. */
export function nativeRule(line: string, family: 'ip' | 'inet'): [string, string] | undefined {
  const w = line.split(/\s+/);
  if (w[0] !== '-A') return undefined;
  const hook = HOOK_CHAINS[w[1] ?? ''];
  if (hook === undefined) return undefined;
  const parts: string[] = [];
  let verdict: string | undefined;
  for (let i = 2; i < w.length; i++) {
    const o = w[i];
    const a = w[i + 1] ?? '';
    if (o === '-p') parts.push(`meta l4proto ${a}`);
    else if (o === '-s') parts.push(`ip saddr ${a}`);
    else if (o === '-d') parts.push(`ip daddr ${a}`);
    else if (o === '-i') parts.push(`iifname "${a}"`);
    else if (o === '-o') parts.push(`oifname "${a}"`);
    else if (o === '-m' && a === 'conntrack' && w[i + 2] === '--ctstate') {
      parts.push(`ct state ${(w[i + 3] ?? '').toLowerCase()}`);
      i += 2;
    } else if (o === '-j' && (a === 'DROP' || a === 'ACCEPT' || a === 'MASQUERADE')) verdict = a.toLowerCase();
    else if (o === '-j' && a === 'REJECT') {
      const code = w[i + 2] === '--reject-with' ? (w[i + 3] ?? '').replace(/^icmp-/, '') : undefined;
      verdict = code === undefined ? 'reject' : `reject with icmp ${family === 'ip' ? 'type ' : ''}${code}`;
      if (code !== undefined) i += 2;
    } else if (o === '-j' && (a === 'SNAT' || a === 'DNAT') && /^--to-(source|destination)$/.test(w[i + 2] ?? '')) {
      verdict = `${a.toLowerCase()} ${family === 'inet' ? 'ip ' : ''}to ${w[i + 3]}`;
      i += 2;
    } else return undefined;
    i++;
  }
  return verdict === undefined ? undefined : [hook.chain, [...parts, verdict].join(' ')];
}

export interface NativeSplit {
  /** `nft -f` input: the table, rebuilt from nothing. */
  nft: string;
  /** Lines that stay in iptables. */
  filter: string[];
  nat: string[];
  summary: string;
}

/** Moves every translatable rule (and a FORWARD DROP policy) into one native table. */
export function toNative(r: Rand, filter: readonly string[], nat: readonly string[]): NativeSplit {
  const family = pick(r, ['ip', 'inet'] as const);
  const chains = new Map<string, string[]>(
    ['input', 'forward', 'output', 'prerouting', 'postrouting'].map((c) => [c, []]),
  );
  let forwardPolicy = 'accept';
  const keep = (lines: readonly string[]): string[] =>
    lines.filter((l) => {
      if (l === ':FORWARD DROP [0:0]') {
        forwardPolicy = 'drop';
        return false;
      }
      const n = nativeRule(l, family);
      if (n === undefined) return true;
      chains.get(n[0])!.push(n[1]);
      return false;
    });
  const restFilter = keep(filter);
  const restNat = keep(nat);
  const base: Record<string, string> = {
    input: 'type filter hook input priority filter; policy accept;',
    forward: `type filter hook forward priority filter; policy ${forwardPolicy};`,
    output: 'type filter hook output priority filter; policy accept;',
    prerouting: 'type nat hook prerouting priority dstnat + 10; policy accept;',
    postrouting: 'type nat hook postrouting priority srcnat + 10; policy accept;',
  };
  const body = [...chains].map(([c, rules]) =>
    [`\tchain ${c} {`, `\t\t${base[c]}`, ...rules.map((x) => `\t\t${x}`), '\t}'].join('\n'),
  );
  // Both families cleared first: a table of the other family from an earlier scenario would stay.
  const nft = [`${CLEAR_NATIVE}table ${family} ${NATIVE_TABLE} {`, ...body, '}', ''].join('\n');
  return {
    nft,
    filter: restFilter,
    nat: restNat,
    summary: `native nftables: table ${family} ${NATIVE_TABLE} (${[...chains.values()].flat().length} rules${restFilter.length + restNat.length > 0 ? '; the rest stays in iptables' : ''})`,
  };
}
