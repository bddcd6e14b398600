// A packet felix drops for want of an allowing policy: the DROP ("Drop if no policies passed
// packet", or "End of tier <tier>. Drop if ...") sits in the workload's chain cali-tw-<iface>
// (ingress) or cali-fw-<iface> (egress), after jumps to one chain per policy, cali-pi-*/cali-po-*,
// whose first rule's comment names the policy. Both dataplanes: iptables (the filter table) and
// nftables (felix's table `ip calico`); what felix calls its chains and writes in their comments
// is src/model/cni/calico-felix.ts.
import type { Hop, NetfilterPlace, Trace } from '../../engine/trace.ts';
import {
  type CalicoPolicyId,
  felixNftComment,
  isPolicyChain,
  isWorkloadChain,
  parsePolicyComment,
} from '../../model/cni/calico-felix.ts';
import type { HostState } from '../../model/types.ts';
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';

export interface CalicoPolicyRef extends CalicoPolicyId {
  /** The policy chain and the rule whose comment named it. */
  chain: string;
  evidence: string;
}

/** A rule of a felix chain as both dataplanes show it: where it jumps, its comment, its line. */
interface FelixRule {
  target?: string;
  comment?: string;
  /** The rule as quoted in evidence, and as the trace's last evidence line contains it. */
  line: string;
  key: string;
}

const COMMENT = /--comment "((?:Policy|[A-Za-z]+) (\S+) (ingress|egress))"/;

/** The rules of chain `name` in the table the drop happened in. */
function chainRules(h: HostState, at: NetfilterPlace, name: string): FelixRule[] | undefined {
  if (at.backend === 'nftables') {
    const chain = h.nft?.tables.find((t) => t.family === at.family && t.name === at.table)?.chains.get(name);
    return chain?.rules.map((r) => {
      const jump = r.expr.find(
        (e): e is { jump: { target: string } } => typeof e === 'object' && e !== null && 'jump' in e,
      );
      return {
        ...(jump !== undefined ? { target: jump.jump.target } : {}),
        ...(r.comment !== undefined ? { comment: felixNftComment(r.comment) } : {}),
        line: r.text,
        key: r.text,
      };
    });
  }
  const chain = h.iptables
    .find((r) => r.backend === at.backend)
    ?.tables.get(at.table)
    ?.chains.get(name);
  return chain?.rules.map((r) => {
    const m = COMMENT.exec(r.raw);
    return {
      ...(r.target?.name !== undefined ? { target: r.target.name } : {}),
      ...(m !== null ? { comment: m[1]! } : {}),
      line: r.raw,
      key: r.raw.replace(/^\[\d+:\d+\]\s*/, ''),
    };
  });
}

/** The policies whose chains the workload chain consulted before the rule that dropped. */
export function policiesBeforeDrop(h: HostState, hop: Hop): CalicoPolicyRef[] {
  const at =
    hop.reason?.kind === 'netfilter-drop' || hop.reason?.kind === 'netfilter-reject' ? hop.reason.at : undefined;
  const nft = at?.backend === 'nftables';
  if (at === undefined || !isWorkloadChain(at.chain, nft)) return [];
  const rules = chainRules(h, at, at.chain);
  if (rules === undefined || !/Drop if no (policies|profiles)/.test(at.line)) return [];
  const drop = rules.findIndex((r) => at.line.includes(r.key));
  const out: CalicoPolicyRef[] = [];
  for (const r of drop < 0 ? rules : rules.slice(0, drop)) {
    if (r.target === undefined || !isPolicyChain(r.target, nft)) continue;
    const named = chainRules(h, at, r.target)?.find((x) => x.comment !== undefined && parsePolicyComment(x.comment));
    const p = named?.comment === undefined ? undefined : parsePolicyComment(named.comment);
    if (p !== undefined && named !== undefined) out.push({ ...p, chain: r.target, evidence: named.line });
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
