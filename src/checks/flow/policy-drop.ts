// A netfilter refusal in a NetworkPolicy engine's chains, named after the policies that let
// nothing through. Each writer's chain and comment shapes live in their own file; one line here
// registers it.
import type { Trace } from '../../engine/trace.ts';
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';
import { felixPolicies } from './calico-policy-drop.ts';
import { kubeRouterPolicies } from './kube-router-policy-drop.ts';
import type { PolicyRef, PolicyWriter } from './policy-writer.ts';

const WRITERS: readonly PolicyWriter[] = [felixPolicies, kubeRouterPolicies];

function describePolicy(p: PolicyRef): string {
  return `${p.kind} ${p.namespace !== undefined ? `${p.namespace}/` : ''}${p.name}`;
}

export function explainPolicyDrop(ctx: AnalysisContext, f: Finding, t: Trace): Finding {
  const hop = t.decisive;
  if ((f.id !== 'netfilter-drop' && f.id !== 'netfilter-reject') || hop === undefined || f.node !== hop.node) return f;
  const h = ctx.model.hosts.get(hop.node);
  if (h === undefined) return f;
  for (const w of WRITERS) {
    const refs = w.policiesBeforeDrop(h, hop);
    if (refs.length === 0) continue;
    const names = refs.map(describePolicy).join(', ');
    const k8s = refs.filter((r) => r.kind === 'KubernetesNetworkPolicy');
    const verb = `The ${f.id === 'netfilter-reject' ? 'REJECT' : 'DROP'} is ${w.refusal}`;
    return {
      ...f,
      summary: `${f.summary}: no rule of ${names} (${w.agent} chain${refs.length > 1 ? 's' : ''} ${refs.map((r) => r.chain).join(', ')}) allows it`,
      evidence: [...f.evidence, ...refs.map((r) => `${r.chain}: ${r.evidence}`)],
      fix:
        k8s.length > 0
          ? `${verb}: change the policy, not the rule — add a rule that admits this flow to ${k8s.map((r) => `NetworkPolicy ${r.namespace}/${r.name}`).join(' or ')} (kubectl -n ${k8s[0]!.namespace} edit networkpolicy ${k8s[0]!.name}); ${w.agent} rewrites the chains within seconds.`
          : `${verb}: change ${names} (calicoctl), not the rule.`,
    };
  }
  return f;
}
