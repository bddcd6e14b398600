// NetworkPolicy rules as text for a report: a rule quoted as written (one line of YAML flow
// style), and the rule that would allow a connection, in the same form, ready to paste.
import { stringify } from 'yaml';
import type { PolicyEndpoint, PolicyFlow } from '../../engine/policy/evaluate.ts';

export function quoteRule(rule: unknown): string {
  return stringify(rule ?? {}, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** Labels set per pod by controllers: selecting on them would select one pod revision. */
const PER_POD = new Set([
  'pod-template-hash',
  'controller-revision-hash',
  'statefulset.kubernetes.io/pod-name',
  'pod-template-generation',
  'apps.kubernetes.io/pod-index',
]);

/** The labels a rule should select the peer pod by: its app label when it has one, else all stable ones. */
function selectorLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const k of ['app.kubernetes.io/name', 'app', 'k8s-app']) if (labels[k] !== undefined) return { [k]: labels[k] };
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !PER_POD.has(k)));
}

function peer(e: PolicyEndpoint): Record<string, unknown> {
  if (e.kind !== 'pod') return { ipBlock: { cidr: `${e.ip}/32` } };
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': e.namespace } },
    podSelector: { matchLabels: selectorLabels(e.labels) },
  };
}

/** One rule for spec.ingress (peer: the source) or spec.egress (peer: the destination) allowing `f`. */
export function allowingRule(direction: 'ingress' | 'egress', f: PolicyFlow): string {
  const other = direction === 'ingress' ? f.src : f.dst;
  const rule: Record<string, unknown> = { [direction === 'ingress' ? 'from' : 'to']: [peer(other)] };
  // NetworkPolicy ports cover TCP, UDP and SCTP only: ICMP is allowed by a rule without ports.
  if (f.protocol !== 'icmp' && f.port !== undefined)
    rule['ports'] = [{ protocol: f.protocol.toUpperCase(), port: f.port }];
  return `- ${quoteRule(rule)}`;
}
