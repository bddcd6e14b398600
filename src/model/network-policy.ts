// NetworkPolicy objects (networking.k8s.io/v1), typed: only what the evaluator reads, taken
// defensively (a snapshot is input). The raw rule is kept so a report can quote it as written.
// Field semantics: k8s.io/api/networking/v1/types.go.
import type { KubeObject } from '../snapshot/types.ts';

export interface SelectorRequirement {
  key: string;
  /** In, NotIn, Exists, DoesNotExist (anything else is kept and evaluated as unknown). */
  operator: string;
  values: string[];
}

/** metav1.LabelSelector: matchLabels AND matchExpressions; an empty selector selects everything. */
export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: SelectorRequirement[];
}

export interface IpBlock {
  cidr: string;
  except: string[];
}

/** One entry of `from`/`to`: the fields set are ANDed (podSelector within namespaceSelector). */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}

export interface PolicyPort {
  /** TCP when unset (the API default). */
  protocol: string;
  /** A number, a named container port, or unset (every port of the protocol). */
  port?: number | string;
  /** With a numeric port: the range port..endPort. */
  endPort?: number;
}

export interface PolicyRule {
  /** `from` (ingress) or `to` (egress); empty or absent: every peer. */
  peers: PolicyPeer[];
  /** Empty or absent: every port and protocol. */
  ports: PolicyPort[];
  /** The rule as written in the object. */
  raw: unknown;
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicyInfo {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  /** spec.policyTypes, or its default: Ingress, plus Egress when spec.egress has rules. */
  policyTypes: PolicyType[];
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function labelSelector(v: unknown): LabelSelector {
  const o = rec(v);
  const matchLabels: Record<string, string> = {};
  for (const [k, x] of Object.entries(rec(o['matchLabels']))) if (typeof x === 'string') matchLabels[k] = x;
  return {
    matchLabels,
    matchExpressions: arr(o['matchExpressions'])
      .map(rec)
      .map((e) => ({
        key: str(e['key']) ?? '',
        operator: str(e['operator']) ?? '',
        values: arr(e['values']).filter((x): x is string => typeof x === 'string'),
      })),
  };
}

function peer(v: unknown): PolicyPeer {
  const o = rec(v);
  const p: PolicyPeer = {};
  if (o['podSelector'] !== undefined && o['podSelector'] !== null) p.podSelector = labelSelector(o['podSelector']);
  if (o['namespaceSelector'] !== undefined && o['namespaceSelector'] !== null)
    p.namespaceSelector = labelSelector(o['namespaceSelector']);
  const b = rec(o['ipBlock']);
  const cidr = str(b['cidr']);
  if (cidr !== undefined)
    p.ipBlock = { cidr, except: arr(b['except']).filter((x): x is string => typeof x === 'string') };
  return p;
}

function policyPort(v: unknown): PolicyPort {
  const o = rec(v);
  const p: PolicyPort = { protocol: (str(o['protocol']) ?? 'TCP').toUpperCase() };
  const port = o['port'];
  if (typeof port === 'number' || typeof port === 'string') p.port = port;
  if (typeof o['endPort'] === 'number') p.endPort = o['endPort'];
  return p;
}

function rule(v: unknown, peersKey: 'from' | 'to'): PolicyRule {
  const o = rec(v);
  return { peers: arr(o[peersKey]).map(peer), ports: arr(o['ports']).map(policyPort), raw: v };
}

export function networkPolicyInfo(o: KubeObject): NetworkPolicyInfo {
  const meta = rec(o['metadata']);
  const spec = rec(o['spec']);
  const ingress = arr(spec['ingress']).map((r) => rule(r, 'from'));
  const egress = arr(spec['egress']).map((r) => rule(r, 'to'));
  const declared = arr(spec['policyTypes']).filter((t): t is PolicyType => t === 'Ingress' || t === 'Egress');
  // The API server's default (pkg/apis/networking/v1/defaults.go SetDefaults_NetworkPolicy).
  const policyTypes: PolicyType[] =
    declared.length > 0 ? declared : egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  return {
    namespace: str(meta['namespace']) ?? 'default',
    name: str(meta['name']) ?? '',
    podSelector: labelSelector(spec['podSelector']),
    policyTypes,
    ingress,
    egress,
  };
}
