// Kubernetes NetworkPolicy semantics evaluated on the objects alone (pure): is a connection from
// SRC to DST allowed by the policies that isolate SRC for egress and DST for ingress? The rules
// are those of k8s.io/api/networking/v1/types.go and the NetworkPolicy documentation:
// - a pod is isolated in a direction when a policy of its namespace selects it with that type;
//   an isolated pod accepts only what some rule of some selecting policy allows (rules add up);
// - a rule matches when one of its peers (empty: any) and one of its ports (empty: any) match;
// - a peer's podSelector alone means pods of the policy's namespace, with namespaceSelector pods of
//   the selected namespaces, ipBlock a CIDR minus its excepts;
// - traffic between a pod and its own node is always allowed, and so is a pod to itself;
// - replies of an allowed connection are allowed (policies are stateful), so only the opening
//   packet is judged.
// Where the answer depends on what the snapshot does not hold it is `unknown`, with the reason.
import { cidrContains, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { NetworkPolicyInfo, PolicyPeer, PolicyPort, PolicyRule, PolicyType } from '../../model/network-policy.ts';
import { and, or, selects } from './selector.ts';
import type { KnownLabels, Tri } from './selector.ts';

export type PolicyEndpoint =
  | {
      kind: 'pod';
      namespace: string;
      name: string;
      labels: Readonly<Record<string, string>>;
      ip: string;
      node?: string;
      namedPorts: readonly { name: string; port: number; protocol: string }[];
    }
  /** A node, or a host-network pod: policies never select it, only ipBlock matches it. */
  | { kind: 'node'; name: string; ip: string }
  | { kind: 'external'; ip: string };

export interface PolicyFlow {
  src: PolicyEndpoint;
  dst: PolicyEndpoint;
  protocol: 'tcp' | 'udp' | 'icmp';
  /** Destination port as the policy sees it: after Service DNAT (the targetPort). */
  port?: number;
}

export interface PolicyContext {
  policies: readonly NetworkPolicyInfo[];
  /** Labels of namespaces; a namespace missing here is known only by kubernetes.io/metadata.name. */
  namespaceLabels?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /**
   * Whether an ipBlock matches a pod's address: the API leaves it to the implementation (Calico
   * matches by address; Cilium applies CIDR rules to cluster-external peers only). Undefined: unknown.
   */
  ipBlockMatchesPods?: boolean;
}

/** A rule of a selecting policy that does not let the flow through, and why. */
export interface RuleMiss {
  policy: string;
  /** Index in spec.ingress / spec.egress. */
  index: number;
  rule: unknown;
  why: string;
}

export type Verdict = 'allowed' | 'denied' | 'unknown';

export interface SideVerdict {
  direction: 'ingress' | 'egress';
  /** The pod whose policies decide this side. */
  pod: string;
  verdict: Verdict;
  /** One sentence: not isolated, allowed by which rule, denied by default, or why it is unknown. */
  reason: string;
  /** The policies isolating the pod in this direction ("ns/name"). */
  policies: string[];
  allowedBy?: { policy: string; index: number };
  misses: RuleMiss[];
}

export interface PolicyVerdict {
  verdict: Verdict;
  /** Egress of a pod source, ingress of a pod destination (none between non-pods). */
  sides: SideVerdict[];
}

const NAME_LABEL = 'kubernetes.io/metadata.name';

function namespaceOf(ctx: PolicyContext, ns: string): KnownLabels {
  const l = ctx.namespaceLabels?.get(ns);
  return l !== undefined
    ? { labels: { ...l, [NAME_LABEL]: ns }, complete: true }
    : { labels: { [NAME_LABEL]: ns }, complete: false };
}

function ipBlockHas(b: NonNullable<PolicyPeer['ipBlock']>, ip: string): Tri {
  const c = parseCidr4(b.cidr);
  const a = parseIpv4(ip);
  if (c === undefined || a === undefined) return 'unknown';
  if (!cidrContains(c, a)) return 'no';
  const except = b.except.map(parseCidr4);
  if (except.some((e) => e === undefined)) return 'unknown';
  return except.some((e) => cidrContains(e!, a)) ? 'no' : 'yes';
}

/** Whether `peer` (of a policy in `policyNs`) designates endpoint `e`. */
function peerMatches(ctx: PolicyContext, policyNs: string, peer: PolicyPeer, e: PolicyEndpoint): Tri {
  if (peer.ipBlock !== undefined) {
    const m = ipBlockHas(peer.ipBlock, e.ip);
    if (e.kind !== 'pod' || m === 'no') return m;
    return ctx.ipBlockMatchesPods === undefined ? 'unknown' : ctx.ipBlockMatchesPods ? 'yes' : 'no';
  }
  if (e.kind !== 'pod') return 'no';
  const ns =
    peer.namespaceSelector !== undefined
      ? selects(peer.namespaceSelector, namespaceOf(ctx, e.namespace))
      : e.namespace === policyNs
        ? 'yes'
        : 'no';
  const pod = peer.podSelector !== undefined ? selects(peer.podSelector, { labels: e.labels, complete: true }) : 'yes';
  return and([ns, pod]);
}

function portMatches(p: PolicyPort, f: PolicyFlow): Tri {
  if (f.protocol === 'icmp' || f.port === undefined) return 'no';
  if (p.protocol !== f.protocol.toUpperCase()) return 'no';
  if (p.port === undefined) return 'yes';
  if (typeof p.port === 'number')
    return f.port === p.port || (p.endPort !== undefined && f.port >= p.port && f.port <= p.endPort) ? 'yes' : 'no';
  // A named port is the destination pod's container port of that name and protocol.
  const d = f.dst;
  if (d.kind !== 'pod') return 'no';
  return d.namedPorts.some((n) => n.name === p.port && n.protocol.toUpperCase() === p.protocol && n.port === f.port)
    ? 'yes'
    : 'no';
}

function describePeer(e: PolicyEndpoint): string {
  return e.kind === 'pod'
    ? `pod ${e.namespace}/${e.name} (${e.ip})`
    : e.kind === 'node'
      ? `node ${e.name} (${e.ip})`
      : e.ip;
}

function ruleMatch(ctx: PolicyContext, pol: NetworkPolicyInfo, r: PolicyRule, f: PolicyFlow, peerEnd: PolicyEndpoint) {
  const peer = r.peers.length === 0 ? 'yes' : or(r.peers.map((p) => peerMatches(ctx, pol.namespace, p, peerEnd)));
  const port = r.ports.length === 0 ? 'yes' : or(r.ports.map((p) => portMatches(p, f)));
  const what = f.protocol === 'icmp' ? 'icmp' : `${f.protocol}/${f.port}`;
  const why =
    peer === 'no'
      ? `no peer of it is ${describePeer(peerEnd)}`
      : port === 'no'
        ? `its ports do not include ${what}`
        : peer === 'unknown'
          ? `whether it designates ${describePeer(peerEnd)} depends on what the snapshot does not hold (namespace labels, or how this CNI applies ipBlock to pod addresses)`
          : '';
  return { match: and([peer, port]), why };
}

function side(
  ctx: PolicyContext,
  dir: PolicyType,
  pod: Extract<PolicyEndpoint, { kind: 'pod' }>,
  f: PolicyFlow,
): SideVerdict {
  const direction = dir === 'Ingress' ? 'ingress' : 'egress';
  const podName = `${pod.namespace}/${pod.name}`;
  const base = { direction, pod: podName, misses: [] as RuleMiss[] } as const;
  const other = dir === 'Ingress' ? f.src : f.dst;
  const selecting = ctx.policies
    .filter((p) => p.namespace === pod.namespace && p.policyTypes.includes(dir))
    .map((p) => ({ p, sel: selects(p.podSelector, { labels: pod.labels, complete: true }) }))
    .filter((x) => x.sel !== 'no');
  const names = selecting.map((x) => `${x.p.namespace}/${x.p.name}`);
  if (selecting.length === 0)
    return {
      ...base,
      verdict: 'allowed',
      reason: `no NetworkPolicy selects ${podName} for ${direction}`,
      policies: [],
    };
  // The exceptions every implementation keeps (NetworkPolicy documentation, "what you can't do").
  if (other.kind === 'pod' && other.namespace === pod.namespace && other.name === pod.name)
    return { ...base, verdict: 'allowed', reason: 'a pod cannot block traffic to itself', policies: names };
  if (other.kind === 'node' && pod.node !== undefined && other.name === pod.node)
    return {
      ...base,
      verdict: 'allowed',
      reason: `traffic between a pod and its own node (${pod.node}) is always allowed`,
      policies: names,
    };
  const misses: RuleMiss[] = [];
  let unknown = selecting.some((x) => x.sel === 'unknown');
  for (const { p, sel } of selecting) {
    const rules = dir === 'Ingress' ? p.ingress : p.egress;
    for (const [index, r] of rules.entries()) {
      const m = ruleMatch(ctx, p, r, f, other);
      if (m.match === 'yes' && sel === 'yes')
        return {
          ...base,
          verdict: 'allowed',
          reason: `allowed by NetworkPolicy ${p.namespace}/${p.name} ${direction} rule ${index + 1}`,
          policies: names,
          allowedBy: { policy: `${p.namespace}/${p.name}`, index },
        };
      if (m.match !== 'no') unknown = true;
      misses.push({ policy: `${p.namespace}/${p.name}`, index, rule: r.raw, why: m.why });
    }
  }
  if (unknown)
    return {
      ...base,
      verdict: 'unknown',
      reason: `whether ${names.join(', ')} let it through depends on what the snapshot does not hold`,
      policies: names,
      misses,
    };
  const none = misses.length === 0;
  return {
    ...base,
    verdict: 'denied',
    reason: none
      ? `${names.join(', ')} select ${podName} for ${direction} and allow nothing (default deny)`
      : `${names.join(', ')} select ${podName} for ${direction}, and none of their ${misses.length} rule(s) matches`,
    policies: names,
    misses,
  };
}

export function combine(vs: readonly Verdict[]): Verdict {
  if (vs.includes('denied')) return 'denied';
  return vs.includes('unknown') ? 'unknown' : 'allowed';
}

export function evaluatePolicies(ctx: PolicyContext, f: PolicyFlow): PolicyVerdict {
  const sides: SideVerdict[] = [];
  if (f.src.kind === 'pod') sides.push(side(ctx, 'Egress', f.src, f));
  if (f.dst.kind === 'pod') sides.push(side(ctx, 'Ingress', f.dst, f));
  return { verdict: combine(sides.map((s) => s.verdict)), sides };
}
