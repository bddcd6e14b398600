// A packet felix drops for want of an allowing policy: the DROP ("Drop if no policies passed
// packet", or "End of tier <tier>. Drop if ...") sits in the workload's chain cali-tw-<iface>
// (ingress) or cali-fw-<iface> (egress), after jumps to one chain per policy, cali-pi-*/cali-po-*,
// named by a hash (hashutils.GetLengthLimitedID). Each policy chain's first rule carries a comment
// naming the policy (felix/rules/policy.go): "Policy <ns>/knp.default.<name> ingress" up to
// v3.29 (knp.default. marks a Kubernetes NetworkPolicy), "<Kind> <ns>/<name> ingress" from v3.30.
import type { Hop } from '../../engine/trace.ts';
import type { HostState } from '../../model/types.ts';
import { jumpsBeforeRefusal, refusedAt } from './policy-writer.ts';
import type { PolicyRef, PolicyWriter } from './policy-writer.ts';

const COMMENT = /--comment "((?:Policy|[A-Za-z]+) (\S+) (ingress|egress))"/;

/** The policy a felix comment names, in Kubernetes terms where it is a Kubernetes NetworkPolicy. */
export function parsePolicyComment(comment: string): Omit<PolicyRef, 'chain' | 'evidence'> | undefined {
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

/** felix: the workload chain's DROP after its policy chains (cali-pi-..., cali-po-...), each named by its first commented rule. */
export const felixPolicies: PolicyWriter = {
  agent: 'felix',
  refusal: "felix's end of the policy tier",
  policiesBeforeDrop(h: HostState, hop: Hop): PolicyRef[] {
    const at = refusedAt(hop);
    if (at === undefined || !/^cali-[tf]w-/.test(at.chain) || !/Drop if no (policies|profiles)/.test(at.line))
      return [];
    return jumpsBeforeRefusal(h, hop, /^cali-p[io]-/, (_jump, pc) => {
      const named = pc?.rules.find((x) => COMMENT.test(x.raw));
      const m = named === undefined ? null : COMMENT.exec(named.raw);
      const p = m === null ? undefined : parsePolicyComment(m[1]!);
      return p !== undefined && named !== undefined ? { ...p, evidence: named.raw } : undefined;
    });
  },
};
