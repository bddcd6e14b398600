// A packet felix drops for want of an allowing policy: the DROP ("Drop if no policies passed
// packet", or "End of tier <tier>. Drop if ...") sits in the workload's chain cali-tw-<iface>
// (ingress) or cali-fw-<iface> (egress), after jumps to one chain per policy, cali-pi-*/cali-po-*,
// whose first rule's comment names the policy. Both dataplanes: iptables (the filter table) and
// nftables (felix's table `ip calico`); what felix calls its chains and writes in their comments
// is src/model/cni/calico-felix.ts.
import type { Hop, NetfilterPlace } from '../../engine/trace.ts';
import {
  type CalicoPolicyId,
  felixNftComment,
  isPolicyChain,
  isWorkloadChain,
  parsePolicyComment,
} from '../../model/cni/calico-felix.ts';
import type { HostState } from '../../model/types.ts';
import { refusedAt } from './policy-writer.ts';
import type { PolicyRef, PolicyWriter } from './policy-writer.ts';
import { ruleSaid } from '../../model/rule-said.ts';

export type CalicoPolicyRef = PolicyRef & CalicoPolicyId;

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
  const rs = h.iptables.find((r) => r.backend === at.backend);
  const chain = rs?.tables.get(at.table)?.chains.get(name);
  return chain?.rules.map((r) => {
    const raw = ruleSaid(rs!, r).raw;
    const m = COMMENT.exec(raw);
    return {
      ...(r.target?.name !== undefined ? { target: r.target.name } : {}),
      ...(m !== null ? { comment: m[1]! } : {}),
      line: raw,
      key: raw.replace(/^\[\d+:\d+\]\s*/, ''),
    };
  });
}

/** The policies whose chains the workload chain consulted before the rule that dropped. */
export function policiesBeforeDrop(h: HostState, hop: Hop): CalicoPolicyRef[] {
  const at = refusedAt(hop);
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

/** felix: the workload chain's DROP after its policy chains, in either dataplane. */
export const felixPolicies: PolicyWriter = {
  agent: 'felix',
  refusal: "felix's end of the policy tier",
  policiesBeforeDrop,
};
