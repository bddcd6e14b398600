// What a NetworkPolicy engine's chains (iptables or native nftables) say about a drop: the policies the pod's chain
// consulted before the rule that refused the packet, named from the writer's own comments. One
// writer a file (calico-policy-drop.ts: felix; kube-router-policy-drop.ts), registered in
// policy-drop.ts.
import type { Hop } from '../../engine/trace.ts';
import type { HostState, IptChain } from '../../model/types.ts';
import { ruleSaid } from '../../model/rule-said.ts';

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

/** A rule of the refusing chain in either dataplane: its place, where it jumps, its line as quoted. */
interface WriterRule {
  position: number;
  target?: string;
  /** iptables-save's line, or nft's rule text (`… comment "…"`). */
  line: string;
  /** What the refusal's line contains when it is this rule. */
  key: string;
}

function writerRules(h: HostState, at: NonNullable<ReturnType<typeof refusedAt>>): WriterRule[] | undefined {
  if (at.backend === 'nftables') {
    const chain = h.nft?.tables.find((t) => t.family === at.family && t.name === at.table)?.chains.get(at.chain);
    return chain?.rules.map((r) => {
      const jump = r.expr.find(
        (e): e is { jump: { target: string } } => typeof e === 'object' && e !== null && 'jump' in e,
      );
      return {
        position: r.position,
        ...(jump !== undefined ? { target: jump.jump.target } : {}),
        line: r.text,
        key: r.text.replace(/ counter packets \d+ bytes \d+/, '').replace(/ # handle \d+$/, ''),
      };
    });
  }
  const rs = h.iptables.find((r) => r.backend === at.backend);
  return chainOf(h, at.backend, at.table, at.chain)?.rules.map((r) => {
    const raw = ruleSaid(rs!, r).raw;
    return {
      position: r.position,
      ...(r.target?.name !== undefined ? { target: r.target.name } : {}),
      line: raw,
      key: raw.replace(/^\[\d+:\d+\]\s*/, ''),
    };
  });
}

/**
 * The policy chains a pod's chain jumps to before its refusing rule (the line the verdict's place
 * carries), in iptables or native nftables, with `name` reading the reference out of each jump.
 */
export function jumpsBeforeRefusal(
  h: HostState,
  hop: Hop,
  isPolicyChain: RegExp,
  name: (jump: string) => Omit<PolicyRef, 'chain'> | undefined,
): PolicyRef[] {
  const at = refusedAt(hop);
  if (at === undefined) return [];
  const rules = writerRules(h, at);
  if (rules === undefined) return [];
  const unCounted = (l: string) => l.replace(/ counter packets \d+ bytes \d+/, '').replace(/ # handle \d+$/, '');
  const refusal = rules.find((r) => unCounted(at.line).includes(r.key));
  const out: PolicyRef[] = [];
  for (const r of rules) {
    if (refusal !== undefined && r.position >= refusal.position) break;
    if (r.target === undefined || !isPolicyChain.test(r.target)) continue;
    const p = name(r.line);
    if (p !== undefined) out.push({ ...p, chain: r.target });
  }
  return out;
}
