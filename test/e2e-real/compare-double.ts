// Runs the request cases of double-fidelity.ts against the real cluster and against the double,
// configured and seeded as the real one, and lists every answer whose shape differs.
import { isDeepStrictEqual } from 'node:util';
import { requestInfo } from '../../src/collect/kube/client.ts';
import type { KubeClient } from '../../src/collect/kube/client.ts';
import { ApiServerDouble } from '../apiserver/server.ts';
import { startLabNodes } from '../apiserver/lab-nodes.ts';
import { kubectlOk } from './cluster.ts';
import {
  FIDELITY_NS,
  FIDELITY_POD,
  clientFor,
  execShape,
  requestCases,
  send,
  shape,
  teardownCases,
} from './double-fidelity.ts';
import type { RequestCase } from './double-fidelity.ts';

/** Resources the live source lists, as kubectl names them, and where the double serves them. */
const SEEDED: { kubectl: string; group: string; version: string; resource: string }[] = [
  { kubectl: 'nodes', group: '', version: 'v1', resource: 'nodes' },
  { kubectl: 'pods', group: '', version: 'v1', resource: 'pods' },
  { kubectl: 'services', group: '', version: 'v1', resource: 'services' },
  { kubectl: 'endpoints', group: '', version: 'v1', resource: 'endpoints' },
  { kubectl: 'configmaps', group: '', version: 'v1', resource: 'configmaps' },
  {
    kubectl: 'endpointslices.v1beta1.discovery.k8s.io',
    group: 'discovery.k8s.io',
    version: 'v1beta1',
    resource: 'endpointslices',
  },
  { kubectl: 'networkpolicies', group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' },
  ...['ippools', 'blockaffinities', 'felixconfigurations'].map((r) => ({
    kubectl: `${r}.crd.projectcalico.org`,
    group: 'crd.projectcalico.org',
    version: 'v1',
    resource: r,
  })),
];

export interface Difference {
  request: string;
  real: unknown;
  double: unknown;
}

export interface Comparison {
  requests: number;
  differences: Difference[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the probe pod to run, watching it as netcheck does (a list by label: RBAC grants no "get" on pods). */
async function running(client: KubeClient): Promise<void> {
  const end = Date.now() + 90_000;
  for (;;) {
    const a = await send(client, {
      name: 'list',
      method: 'GET',
      path: `/api/v1/namespaces/${FIDELITY_NS}/pods`,
      query: { labelSelector: 'netcheck.dev/run=fidelity' },
    });
    const items = (a.json?.['items'] ?? []) as { status?: { phase?: string } }[];
    if (items[0]?.status?.phase === 'Running') return;
    if (Date.now() > end) throw new Error(`probe pod not Running: ${JSON.stringify(a.json)}`);
    await sleep(250);
  }
}

/**
 * `admin`, `sa` (bound to deploy/rbac.yaml) and `unbound` (no RBAC) are kubeconfigs of the real
 * cluster; `node` is its node. The real server's objects are copied into the double first.
 */
export async function compareDoubleWithReal(
  admin: string,
  sa: string,
  unbound: string,
  node: string,
): Promise<Comparison> {
  const lab = await startLabNodes(1);
  const options = {
    nodes: [{ name: node, netns: lab.nodes[0]!.netns, internalIP: '127.0.0.1' }],
    endpointSlices: 'v1beta1' as const,
    calico: 'crd' as const,
    cilium: false,
    execAuthorizesCreate: false,
    defaultPodSecurity: 'privileged' as const,
    unserved: ['bgpconfigurations.crd.projectcalico.org'],
    startDelayMs: 200,
  };
  const double = await ApiServerDouble.start(options);
  const denying = await ApiServerDouble.start(options);
  const clients: KubeClient[] = [];
  const open = (kubeconfig: string, context?: string) => {
    const c = clientFor(kubeconfig, context);
    clients.push(c);
    return c;
  };
  try {
    for (const s of SEEDED) {
      const list = JSON.parse(await kubectlOk(admin, ['get', s.kubectl, '-A', '-o', 'json'])) as {
        items: Record<string, unknown>[];
      };
      for (const o of list.items) double.seed(s.group, s.version, s.resource, o);
    }
    const cases = requestCases(node);
    // The unbound ServiceAccount may do nothing but ask (SelfSubjectAccessReview: system:basic-user).
    for (const c of cases.filter((x) => x.unbound)) {
      const i = requestInfo(c.method, c.path);
      if (i.resource !== 'selfsubjectaccessreviews.authorization.k8s.io')
        denying.forbid({ verb: i.verb, resource: i.resource });
    }
    denying.forbid({ verb: 'delete', resource: 'pods' });
    denying.forbid({ verb: 'get', resource: 'pods/exec' });
    denying.forbid({ verb: 'create', resource: 'pods/exec' });

    const real = { bound: open(sa), unbound: open(unbound), admin: open(admin) };
    const fake = {
      bound: open(double.kubeconfigPath, 'double-token'),
      unbound: open(denying.kubeconfigPath, 'double-token'),
    };
    const differences: Difference[] = [];
    let requests = 0;
    const compare = async (c: RequestCase) => {
      requests++;
      const r = shape(await send(c.unbound ? real.unbound : c.admin ? real.admin : real.bound, c), c.reads);
      const d = shape(await send(c.unbound ? fake.unbound : fake.bound, c), c.reads);
      if (!isDeepStrictEqual(r, d)) differences.push({ request: c.name, real: r, double: d });
    };
    for (const c of cases) await compare(c);

    for (const [who, c] of [
      ['real', real.bound],
      ['double', fake.bound],
    ] as const)
      await running(c).catch((e: Error) => {
        throw new Error(`${who}: ${e.message}; the differences so far: ${JSON.stringify(differences, null, 1)}`);
      });
    const execs: [string, string[], boolean][] = [
      ['exec: exit 0', ['sh', '-c', 'echo out'], false],
      ['exec: exit 3, stderr', ['sh', '-c', 'echo out; echo err >&2; exit 3'], false],
      ['exec: a command that does not exist', ['netcheck-no-such-command'], false],
      ['exec, unbound', ['true'], true],
    ];
    for (const [name, argv, unboundUser] of execs) {
      requests++;
      const r = await execShape(unboundUser ? real.unbound : real.bound, FIDELITY_NS, FIDELITY_POD, argv);
      const d = await execShape(unboundUser ? fake.unbound : fake.bound, FIDELITY_NS, FIDELITY_POD, argv);
      if (!isDeepStrictEqual(r, d)) differences.push({ request: name, real: r, double: d });
    }
    for (const c of teardownCases()) await compare(c);
    return { requests, differences };
  } finally {
    for (const c of clients) c.close();
    await double.close();
    await denying.close();
    await lab.stop();
  }
}
