// A packet felix drops for want of an allowing policy: the DROP ("Drop if no policies passed
// packet", or "End of tier <tier>. Drop if ...") sits in the workload's chain cali-tw-<iface>
// (ingress) or cali-fw-<iface> (egress), after jumps to one chain per policy, cali-pi-*/cali-po-*,
// named by a hash (hashutils.GetLengthLimitedID). Each policy chain's first rule carries a comment
// naming the policy (felix/rules/policy.go): "Policy <ns>/knp.default.<name> ingress" up to
// v3.29 (knp.default. marks a Kubernetes NetworkPolicy), "<Kind> <ns>/<name> ingress" from v3.30.
import type { Hop, Trace } from '../../engine/trace.ts';
import type { HostState, IptChain } from '../../model/types.ts';
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';

export interface CalicoPolicyRef {
  /** KubernetesNetworkPolicy, NetworkPolicy (Calico's), GlobalNetworkPolicy, ... */
  kind: string;
  namespace?: string;
  name: string;
  direction: 'ingress' | 'egress';
  /** The policy chain and the rule whose comment named it. */
  chain: string;
  evidence: string;
}

const COMMENT = /--comment "((?:Policy|[A-Za-z]+) (\S+) (ingress|egress))"/;

/** The policy a felix comment names, in Kubernetes terms where it is a Kubernetes NetworkPolicy. */
export function parsePolicyComment(comment: string): Omit<CalicoPolicyRef, 'chain' | 'evidence'> | undefined {
  const m = /^(Policy|[A-Za-z]+) (\S+) (ingress|egress)$/.exec(comment);
  if (m === null || m[1] === 'Profile') return undefined;
  const direction = m[3] as 'ingress' | 'egress';
  const id = m[2]!;
  const slash = id.indexOf('/');
  const namespace = slash < 0 ? undefined : id.slice(0, slash);
  let name = slash < 0 ? id : id.slice(slash + 1);
  let kind = m[1]!;
  if (kind === 'Policy') {
    // ≤ v3.29: names carry their tier; a Kubernetes NetworkPolicy is knp.default.<name>.
    if (name.startsWith('knp.default.')) {
      kind = 'KubernetesNetworkPolicy';
      name = name.slice('knp.default.'.length);
    } else kind = namespace === undefined ? 'GlobalNetworkPolicy' : 'NetworkPolicy';
  }
  return { kind, ...(namespace !== undefined ? { namespace } : {}), name, direction };
}

function chainOf(h: HostState, backend: string, table: string, chain: string): IptChain | undefined {
  return h.iptables
    .find((r) => r.backend === backend)
    ?.tables.get(table)
    ?.chains.get(chain);
}

/** The policies whose chains the workload chain consulted before the rule that dropped. */
export function policiesBeforeDrop(h: HostState, hop: Hop): CalicoPolicyRef[] {
  const at =
    hop.reason?.kind === 'netfilter-drop' || hop.reason?.kind === 'netfilter-reject' ? hop.reason.at : undefined;
  if (at === undefined || !/^cali-[tf]w-/.test(at.chain)) return [];
  const chain = chainOf(h, at.backend, at.table, at.chain);
  if (chain === undefined || !/Drop if no (policies|profiles)/.test(at.line)) return [];
  const drop = chain.rules.find((r) => at.line.includes(r.raw.replace(/^\[\d+:\d+\]\s*/, '')));
  const out: CalicoPolicyRef[] = [];
  for (const r of chain.rules) {
    if (drop !== undefined && r.position >= drop.position) break;
    const target = r.target?.name ?? '';
    if (!/^cali-p[io]-/.test(target)) continue;
    const pc = chainOf(h, at.backend, at.table, target);
    const named = pc?.rules.find((x) => COMMENT.test(x.raw));
    const m = named === undefined ? null : COMMENT.exec(named.raw);
    const p = m === null ? undefined : parsePolicyComment(m[1]!);
    if (p !== undefined && named !== undefined) out.push({ ...p, chain: target, evidence: named.raw });
  }
  return out;
}

export function describePolicy(p: CalicoPolicyRef): string {
  return `${p.kind} ${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name}`;
}

/** A netfilter drop in felix's workload chain, named after the policies that let nothing through. */
export function explainPolicyDrop(ctx: AnalysisContext, f: Finding, t: Trace): Finding {
  const hop = t.decisive;
  if ((f.id !== 'netfilter-drop' && f.id !== 'netfilter-reject') || hop === undefined || f.node !== hop.node) return f;
  const h = ctx.model.hosts.get(hop.node);
  const refs = h === undefined ? [] : policiesBeforeDrop(h, hop);
  if (refs.length === 0) return f;
  const names = refs.map(describePolicy).join(', ');
  const k8s = refs.filter((r) => r.kind === 'KubernetesNetworkPolicy');
  return {
    ...f,
    summary: `${f.summary}: no rule of ${names} (felix chain${refs.length > 1 ? 's' : ''} ${refs.map((r) => r.chain).join(', ')}) allows it`,
    evidence: [...f.evidence, ...refs.map((r) => `${r.chain}: ${r.evidence}`)],
    fix:
      k8s.length > 0
        ? `The DROP is felix's end of the policy tier: change the policy, not the rule — add a rule that admits this flow to ${k8s.map((r) => `NetworkPolicy ${r.namespace}/${r.name}`).join(' or ')} (kubectl -n ${k8s[0]!.namespace} edit networkpolicy ${k8s[0]!.name}); felix rewrites the chains within seconds.`
        : `The DROP is felix's end of the policy tier: change ${names} (calicoctl), not the rule.`,
  };
}
