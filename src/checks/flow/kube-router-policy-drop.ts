// kube-router's NetworkPolicy enforcement (cloudnativelabs/kube-router pkg/controllers/netpol;
// iptables mode, and from v2.11 the nftables mode of --use-nftables-for-netpol, npc_nftables.go:
// table `ip kube-router-filter-ipv4`, the same chain names, the comments as nft rule comments,
// `ip daddr <pod>` / `ip saddr <pod>` for the direction): traffic to or from a pod that policies
// select goes through the pod's chain KUBE-POD-FW-<hash>, which jumps to one chain KUBE-NWPLCY-<hash> per policy selecting the pod
// (pod.go setupPodNetpolRules: `-d <pod>` for ingress, `-s <pod>` for egress, neither for both);
// a policy rule that admits the flow sets mark 0x10000, and the pod chain ends by logging and
// rejecting what no policy marked (`-m mark ! --mark 0x10000/0x10000 -j REJECT`). Chain names are
// hashes (policy.go networkPolicyChainName, pod.go podFirewallChainName); the comments name the
// policy, in two shapes:
//   up to v2.10: jump "run through nw policy <name>" (the policy is in the pod's namespace: a
//                NetworkPolicy selects pods of its own), REJECT "rule to REJECT traffic destined
//                for POD name:<pod> namespace: <ns>";
//   v2.11+:      jump "<ns>/<name> policy", REJECT "<ns>/<pod> reject" (comments.go idComment).
import type { Hop } from '../../engine/trace.ts';
import type { HostState } from '../../model/types.ts';
import { jumpsBeforeRefusal, refusedAt } from './policy-writer.ts';
import type { PolicyRef, PolicyWriter } from './policy-writer.ts';

const REJECT_OLD = /--comment "?rule to REJECT traffic destined for POD name:(\S+) namespace: ([^"\s]+)/;
const REJECT_NEW = /(?:--)?comment "?([^"\s/]+)\/([^"\s]+) reject"?/;
const JUMP_OLD = /--comment "?run through nw policy ([^"\s]+)/;
const JUMP_NEW = /(?:--)?comment "?([^"\s/]+)\/([^"\s]+) policy"?/;

/** The pod a REJECT rule of a pod chain names, as namespace and name. */
function rejectedPod(line: string): { namespace: string; name: string } | undefined {
  const o = REJECT_OLD.exec(line);
  if (o !== null) return { namespace: o[2]!, name: o[1]! };
  const n = REJECT_NEW.exec(line);
  return n === null ? undefined : { namespace: n[1]!, name: n[2]! };
}

function direction(jump: string): PolicyRef['direction'] {
  if (/(^|\s)(-d|ip6? daddr) \S+/.test(jump)) return 'ingress';
  if (/(^|\s)(-s|ip6? saddr) \S+/.test(jump)) return 'egress';
  return undefined;
}

export const kubeRouterPolicies: PolicyWriter = {
  agent: 'kube-router',
  refusal: "kube-router's rejection of what no policy of the pod admitted",
  policiesBeforeDrop(h: HostState, hop: Hop): PolicyRef[] {
    const at = refusedAt(hop);
    const pod = at === undefined ? undefined : rejectedPod(at.line);
    if (at === undefined || !at.chain.startsWith('KUBE-POD-FW-') || pod === undefined) return [];
    return jumpsBeforeRefusal(h, hop, /^KUBE-NWPLCY-/, (jump) => {
      const n = JUMP_NEW.exec(jump);
      const o = n === null ? JUMP_OLD.exec(jump) : null;
      const namespace = n !== null ? n[1]! : pod.namespace;
      const name = n !== null ? n[2]! : o?.[1];
      if (name === undefined) return undefined;
      const dir = direction(jump);
      return {
        kind: 'KubernetesNetworkPolicy',
        namespace,
        name,
        ...(dir !== undefined ? { direction: dir } : {}),
        evidence: jump,
      };
    });
  },
};
