// What a NetworkPolicy engine's iptables chains say about a drop: the policies the pod's chain
// consulted before the rule that refused the packet, named from the writer's own comments. One
// writer a file (calico-policy-drop.ts: felix; kube-router-policy-drop.ts), registered in
// policy-drop.ts.
import type { Hop } from '../../engine/trace.ts';
import type { HostState, IptChain } from '../../model/types.ts';

export interface PolicyRef {
  /** KubernetesNetworkPolicy, NetworkPolicy (Calico's), GlobalNetworkPolicy, ... */
  kind: string;
  namespace?: string;
  name: string;
  direction?: 'ingress' | 'egress';
  /** The policy chain and the rule whose comment named it. */
  chain: string;
  evidence: string;
}

export interface PolicyWriter {
  /** The agent that writes the chains, as the fix names it (felix, kube-router). */
  agent: string;
  /** What the refusing rule is, for the fix: "felix's end of the policy tier". */
  refusal: string;
  /** The policies consulted before `hop`'s refusal, when it is this writer's; empty otherwise. */
  policiesBeforeDrop(h: HostState, hop: Hop): PolicyRef[];
}

export function chainOf(h: HostState, backend: string, table: string, chain: string): IptChain | undefined {
  return h.iptables
    .find((r) => r.backend === backend)
    ?.tables.get(table)
    ?.chains.get(chain);
}

/** The place of a netfilter refusal, when the hop is one. */
export function refusedAt(hop: Hop) {
  return hop.reason?.kind === 'netfilter-drop' || hop.reason?.kind === 'netfilter-reject' ? hop.reason.at : undefined;
}

/**
 * The policy chains a pod's chain jumps to before its refusing rule (the line the verdict's place
 * carries), with `name` reading the reference out of each jump and its target chain.
 */
export function jumpsBeforeRefusal(
  h: HostState,
  hop: Hop,
  isPolicyChain: RegExp,
  name: (jump: string, target: IptChain | undefined) => Omit<PolicyRef, 'chain'> | undefined,
): PolicyRef[] {
  const at = refusedAt(hop);
  if (at === undefined) return [];
  const chain = chainOf(h, at.backend, at.table, at.chain);
  if (chain === undefined) return [];
  const refusal = chain.rules.find((r) => at.line.includes(r.raw.replace(/^\[\d+:\d+\]\s*/, '')));
  const out: PolicyRef[] = [];
  for (const r of chain.rules) {
    if (refusal !== undefined && r.position >= refusal.position) break;
    const target = r.target?.name ?? '';
    if (!isPolicyChain.test(target)) continue;
    const p = name(r.raw, chainOf(h, at.backend, at.table, target));
    if (p !== undefined) out.push({ ...p, chain: target });
  }
  return out;
}
