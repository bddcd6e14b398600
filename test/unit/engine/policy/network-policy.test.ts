// NetworkPolicy semantics from the objects, in the spirit of the Kubernetes NetworkPolicy
// conformance tests (test/e2e/network/netpol/network_policy.go): namespaces x, y, z, pods a, b,
// c in each (label pod=<name>), servers on 80 and 81; each case is a policy set and the expected
// verdict of some connections. Policies are written as the API object, parsed as a snapshot's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicies } from '../../../../src/engine/policy/evaluate.ts';
import type { PolicyContext, PolicyEndpoint, PolicyFlow, Verdict } from '../../../../src/engine/policy/evaluate.ts';
import { networkPolicyInfo } from '../../../../src/model/network-policy.ts';

const NS = ['x', 'y', 'z'] as const;
const POD_IP: Record<string, string> = {};
NS.forEach((ns, i) =>
  ['a', 'b', 'c'].forEach((p, j) => {
    POD_IP[`${ns}/${p}`] = `10.1.${i}.${j + 10}`;
  }),
);

function pod(ref: string): PolicyEndpoint {
  const [namespace, name] = ref.split('/') as [string, string];
  return {
    kind: 'pod',
    namespace,
    name,
    labels: { pod: name },
    ip: POD_IP[ref]!,
    node: name === 'a' ? 'node-1' : 'node-2',
    namedPorts: [
      { name: 'serve-80-tcp', port: 80, protocol: 'TCP' },
      { name: 'serve-81-udp', port: 81, protocol: 'UDP' },
    ],
  };
}

function np(namespace: string, name: string, spec: Record<string, unknown>) {
  return networkPolicyInfo({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { namespace, name },
    spec,
  });
}

type Conn = [src: string, dst: string, proto: 'tcp' | 'udp' | 'icmp', port: number | undefined, expect: Verdict];

interface Case {
  name: string;
  policies: ReturnType<typeof np>[];
  namespaceLabels?: Record<string, Record<string, string>>;
  ipBlockMatchesPods?: boolean;
  conns: Conn[];
}

const nsLabels = { x: { ns: 'x' }, y: { ns: 'y' }, z: { ns: 'z' } };
const denyIngress = (ns: string) => np(ns, 'deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] });

const CASES: Case[] = [
  {
    name: 'no policy: everything allowed',
    policies: [],
    conns: [
      ['x/a', 'y/b', 'tcp', 80, 'allowed'],
      ['x/a', 'x/b', 'icmp', undefined, 'allowed'],
    ],
  },
  {
    name: 'default-deny-ingress ({} with no rules)',
    policies: [denyIngress('x')],
    conns: [
      ['x/b', 'x/a', 'tcp', 80, 'denied'],
      ['y/b', 'x/a', 'udp', 81, 'denied'],
      ['x/a', 'y/b', 'tcp', 80, 'allowed'], // egress of x is not isolated
      ['x/a', 'x/a', 'tcp', 80, 'allowed'], // a pod cannot block itself
    ],
  },
  {
    name: 'default-deny-all (Ingress and Egress)',
    policies: [np('x', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
    conns: [
      ['x/a', 'y/b', 'tcp', 80, 'denied'],
      ['y/b', 'x/a', 'tcp', 80, 'denied'],
      ['y/a', 'y/b', 'tcp', 80, 'allowed'],
    ],
  },
  {
    name: 'allow from pods within the namespace by podSelector',
    policies: [
      np('x', 'allow-b', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    conns: [
      ['x/b', 'x/a', 'tcp', 80, 'allowed'],
      ['x/c', 'x/a', 'tcp', 80, 'denied'],
      ['y/b', 'x/a', 'tcp', 80, 'denied'],
      ['x/c', 'x/b', 'tcp', 80, 'allowed'],
    ],
  },
  {
    name: 'namespaceSelector with matchExpressions (ns NotIn [x])',
    namespaceLabels: nsLabels,
    policies: [
      np('x', 'allow-other-ns', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }] },
        ],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'allowed'],
      ['z/c', 'x/a', 'tcp', 81, 'allowed'],
      ['x/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'namespaceSelector on a custom label without namespace objects: unknown, never a guess',
    policies: [
      np('x', 'allow-ns-y', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }] }],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'unknown'],
      ['x/b', 'x/a', 'tcp', 80, 'unknown'],
    ],
  },
  {
    name: 'namespaceSelector on the default kubernetes.io/metadata.name label',
    policies: [
      np('x', 'allow-ns-y', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'allowed'],
      ['z/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'podSelector OR namespaceSelector (two peers)',
    namespaceLabels: nsLabels,
    policies: [
      np('x', 'or', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }],
          },
        ],
      }),
    ],
    conns: [
      ['y/c', 'x/a', 'tcp', 80, 'allowed'],
      ['x/b', 'x/a', 'tcp', 80, 'allowed'],
      ['z/b', 'x/a', 'tcp', 80, 'denied'],
      ['x/c', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'podSelector AND namespaceSelector (one peer)',
    namespaceLabels: nsLabels,
    policies: [
      np('x', 'and', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] },
        ],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'allowed'],
      ['y/c', 'x/a', 'tcp', 80, 'denied'],
      ['x/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'ports: only 81 allowed',
    policies: [
      np('x', 'port-81', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ ports: [{ port: 81 }] }] }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 81, 'allowed'],
      ['y/b', 'x/a', 'tcp', 80, 'denied'],
      ['y/b', 'x/a', 'udp', 81, 'denied'],
      ['y/b', 'x/a', 'icmp', undefined, 'denied'],
    ],
  },
  {
    name: 'endPort range 80-81, UDP only',
    policies: [
      np('x', 'range', { podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP', port: 80, endPort: 81 }] }] }),
    ],
    conns: [
      ['y/b', 'x/a', 'udp', 81, 'allowed'],
      ['y/b', 'x/a', 'udp', 82, 'denied'],
      ['y/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'named port on the server',
    policies: [np('x', 'named', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-80-tcp' }] }] })],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'allowed'],
      ['y/b', 'x/a', 'tcp', 81, 'denied'],
      ['y/b', 'x/a', 'udp', 80, 'denied'],
    ],
  },
  {
    name: 'stacked policies add up; the allow-all one wins',
    policies: [
      np('x', 'allow-b', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
      np('x', 'allow-all', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{}] }),
    ],
    conns: [
      ['z/c', 'x/a', 'tcp', 80, 'allowed'],
      ['x/b', 'x/a', 'udp', 81, 'allowed'],
    ],
  },
  {
    name: 'egress denied on the client even though the server allows',
    policies: [
      np('x', 'deny-egress', { podSelector: { matchLabels: { pod: 'a' } }, policyTypes: ['Egress'] }),
      np('y', 'allow-all-in', { podSelector: {}, ingress: [{}] }),
    ],
    conns: [
      ['x/a', 'y/b', 'tcp', 80, 'denied'],
      ['x/b', 'y/b', 'tcp', 80, 'allowed'],
    ],
  },
  {
    name: 'egress to a CIDR, with except',
    policies: [
      np('x', 'egress-cidr', {
        podSelector: { matchLabels: { pod: 'a' } },
        egress: [{ to: [{ ipBlock: { cidr: '192.168.1.0/24', except: ['192.168.1.128/25'] } }] }],
      }),
    ],
    conns: [
      ['x/a', '192.168.1.50', 'tcp', 443, 'allowed'],
      ['x/a', '192.168.1.200', 'tcp', 443, 'denied'],
      ['x/a', '8.8.8.8', 'udp', 53, 'denied'],
    ],
  },
  {
    name: 'ipBlock on a pod address: as the CNI says, unknown when it is not known',
    policies: [
      np('x', 'from-cidr', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.1.1.0/24' } }] }],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'unknown'],
      ['z/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    name: 'ipBlock on a pod address, on a CNI that matches pod addresses by CIDR (Calico)',
    ipBlockMatchesPods: true,
    policies: [
      np('x', 'from-cidr', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.1.1.0/24' } }] }],
      }),
    ],
    conns: [
      ['y/b', 'x/a', 'tcp', 80, 'allowed'],
      ['z/b', 'x/a', 'tcp', 80, 'denied'],
    ],
  },
  {
    // Without policyTypes, Ingress is always implied: an "egress only" policy also denies ingress.
    name: 'egress section without policyTypes isolates egress, and ingress too; forgotten DNS egress',
    policies: [
      np('x', 'only-db', {
        podSelector: { matchLabels: { pod: 'a' } },
        egress: [{ to: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 5432 }] }],
      }),
    ],
    conns: [
      ['x/a', 'x/b', 'tcp', 5432, 'allowed'],
      ['x/a', 'z/c', 'udp', 53, 'denied'],
      ['y/a', 'x/a', 'tcp', 80, 'denied'],
      ['y/a', 'x/b', 'tcp', 80, 'allowed'],
    ],
  },
  {
    name: 'ingress and egress controlled independently',
    policies: [
      np('x', 'in-from-b', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    conns: [
      ['x/b', 'x/a', 'tcp', 80, 'allowed'],
      ['x/a', 'x/b', 'tcp', 80, 'denied'],
    ],
  },
];

for (const c of CASES) {
  test(`NetworkPolicy: ${c.name}`, () => {
    const ctx: PolicyContext = {
      policies: c.policies,
      ...(c.namespaceLabels !== undefined ? { namespaceLabels: new Map(Object.entries(c.namespaceLabels)) } : {}),
      ...(c.ipBlockMatchesPods !== undefined ? { ipBlockMatchesPods: c.ipBlockMatchesPods } : {}),
    };
    for (const [s, d, protocol, port, expect] of c.conns) {
      const f: PolicyFlow = {
        src: s.includes('/') ? pod(s) : { kind: 'external', ip: s },
        dst: d.includes('/') ? pod(d) : { kind: 'external', ip: d },
        protocol,
        ...(port !== undefined ? { port } : {}),
      };
      const v = evaluatePolicies(ctx, f);
      assert.equal(v.verdict, expect, `${s} → ${d} ${protocol}/${port}: ${JSON.stringify(v.sides, null, 1)}`);
    }
  });
}

test('NetworkPolicy: a pod and its own node always talk; another node is a plain address', () => {
  const ctx: PolicyContext = {
    policies: [denyIngress('x'), np('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
  };
  const own = { kind: 'node', name: 'node-1', ip: '192.168.1.11' } as const;
  const other = { kind: 'node', name: 'node-2', ip: '192.168.1.12' } as const;
  assert.equal(evaluatePolicies(ctx, { src: own, dst: pod('x/a'), protocol: 'tcp', port: 80 }).verdict, 'allowed');
  assert.equal(evaluatePolicies(ctx, { src: pod('x/a'), dst: own, protocol: 'tcp', port: 10250 }).verdict, 'allowed');
  assert.equal(evaluatePolicies(ctx, { src: other, dst: pod('x/a'), protocol: 'tcp', port: 80 }).verdict, 'denied');
  assert.equal(evaluatePolicies(ctx, { src: other, dst: own, protocol: 'tcp', port: 22 }).sides.length, 0);
});

test('NetworkPolicy: a denied side names the policy and quotes each rule that does not match, with why', () => {
  const ctx: PolicyContext = {
    policies: [
      np('x', 'api-from-web', {
        podSelector: { matchLabels: { pod: 'a' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { pod: 'web' } } }], ports: [{ port: 8080 }] },
          { ports: [{ port: 9090, protocol: 'UDP' }] },
        ],
      }),
    ],
  };
  const v = evaluatePolicies(ctx, { src: pod('x/b'), dst: pod('x/a'), protocol: 'tcp', port: 8080 });
  assert.equal(v.verdict, 'denied');
  const s = v.sides.find((x) => x.direction === 'ingress')!;
  assert.deepEqual(s.policies, ['x/api-from-web']);
  assert.deepEqual(
    s.misses.map((m) => [m.index, m.why]),
    [
      [0, 'no peer of it is pod x/b (10.1.0.11)'],
      [1, 'its ports do not include tcp/8080'],
    ],
  );
  assert.deepEqual(s.misses[0]!.rule, ctx.policies[0]!.ingress[0]!.raw);
});
