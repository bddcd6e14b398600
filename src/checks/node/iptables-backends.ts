// Rules for the same traffic written through two iptables backends. iptables-nft and
// iptables-legacy register their tables at the same hook priorities, so a packet passes both
// (the engine evaluates both, nft first: engine/netfilter/evaluate.ts); but each agent sees and
// orders only its own: an ACCEPT in one backend does not spare a DROP in the other, and the nat
// tables stop at the first binding in hook registration order (nf_nat_inet_fn), which no
// snapshot shows. It happens when a host's iptables alternative differs from the one inside an
// agent's image (kube-proxy's iptables-wrapper picks by which backend holds kubelet's rules).
import type { HostState, IptRule, IptRuleset } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { ruleSaid } from '../../model/rule-said.ts';

/** Who writes a chain, by the names each agent gives its chains (their sources' chain constants). */
const WRITERS: readonly { writer: string; chain: RegExp }[] = [
  { writer: 'kube-router', chain: /^KUBE-ROUTER-|^KUBE-(?:POD|NWPLCY)-FW-/ },
  { writer: 'kubelet', chain: /^KUBE-KUBELET-CANARY$/ },
  { writer: 'kube-proxy', chain: /^KUBE-/ },
  { writer: 'Calico', chain: /^cali-/ },
  { writer: 'Cilium', chain: /^(?:OLD_)?CILIUM_/ },
  { writer: 'flannel', chain: /^FLANNEL-/ },
  { writer: 'Docker', chain: /^DOCKER/ },
  { writer: 'Weave', chain: /^WEAVE/ },
  { writer: 'Antrea', chain: /^ANTREA-/ },
];

/** Comments agents put on the rules they add to built-in chains. */
const COMMENT_WRITERS: readonly { writer: string; comment: RegExp }[] = [
  { writer: 'Calico', comment: /^"?cali:/ },
  { writer: 'Cilium', comment: /^"?cilium/ },
  { writer: 'flannel', comment: /flanneld masq/ },
  { writer: 'kube-proxy', comment: /^"?kubernetes /i },
];

function chainWriter(name: string): string | undefined {
  return WRITERS.find((w) => w.chain.test(name))?.writer;
}

function ruleWriter(r: IptRule): string | undefined {
  const target = r.target !== null ? chainWriter(r.target.name) : undefined;
  if (target !== undefined) return target;
  for (const m of r.matches) {
    if (m.module !== 'comment') continue;
    for (const o of m.options) {
      const text = o.args.join(' ');
      const w = COMMENT_WRITERS.find((c) => c.comment.test(text));
      if (w !== undefined) return w.writer;
    }
  }
  return undefined;
}

/** Per writer, the lines that show it writes into this ruleset: its chains' headers, its rules in built-in chains. */
export function writersOf(rs: IptRuleset): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // Appends in place: a kube-proxy ruleset has tens of thousands of chains (copying was quadratic).
  const add = (w: string, line: string) => {
    const lines = out.get(w);
    if (lines === undefined) out.set(w, [line]);
    else lines.push(line);
  };
  for (const t of rs.tables.values()) {
    for (const c of t.chains.values()) {
      const w = c.policy === null ? chainWriter(c.name) : undefined;
      if (w !== undefined) add(w, `*${t.name} ${c.raw}`);
      if (c.policy !== null)
        for (const r of c.rules) add(ruleWriter(r) ?? 'unattributed', `*${t.name} ${ruleSaid(rs, r).raw}`);
    }
  }
  return out;
}

/** At most this many lines per writer and backend: enough to recognise it. */
const SHOWN = 3;

export const iptablesBackendsCheck: NodeScopeCheck = {
  name: 'iptables-backends',
  describe: 'iptables rules split between iptables-nft and iptables-legacy',
  scope: 'node',
  emits: ['iptables-split-backends'],
  onPath: true,
  needs: fixedNeeds(['iptables-nft-save', 'iptables-legacy-save']),
  node(_ctx, h: HostState) {
    // One backend alone is no split: its writers are not needed.
    if (new Set(h.iptables.map((rs) => rs.backend)).size < 2) return [];
    const by = h.iptables.map((rs) => ({ backend: rs.backend, writers: writersOf(rs) }));
    const nft = by.find((b) => b.backend === 'nft');
    const legacy = by.find((b) => b.backend === 'legacy');
    if (nft === undefined || legacy === undefined) return [];
    // Only known agents make a split: rules nobody can be named for (an admin's, an old flannel's
    // bare MASQUERADE) are quoted, but alone they do not say two agents disagree.
    const known = (m: Map<string, string[]>) =>
      [...m.keys()].filter((w) => w !== 'unattributed').sort((a, b) => a.localeCompare(b));
    if (known(nft.writers).length === 0 || known(legacy.writers).length === 0) return [];
    const where = (b: typeof nft) => `${known(b.writers).join(', ')} through iptables-${b.backend}`;
    const evidence = [nft, legacy].flatMap((b) =>
      [...b.writers].flatMap(([w, lines]) => [
        `iptables-${b.backend}-save: ${w} (${lines.length} line(s)):`,
        ...lines.slice(0, SHOWN).map((l) => `  ${l}`),
      ]),
    );
    const both = known(nft.writers).filter((w) => legacy.writers.has(w));
    const out: Finding[] = [
      finding('iptables-split-backends', {
        node: h.name,
        summary: `${h.name} has rules written by ${where(nft)} and by ${where(legacy)}${both.length > 0 ? ` (${both.join(', ')} in both: stale rules of an earlier backend?)` : ''}; the kernel runs both, each agent sees only its own`,
        evidence,
      }),
    ];
    return out;
  },
};
