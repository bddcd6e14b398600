// The API server double (test/apiserver) against the real kube-apiserver v1.20.2, request by
// request: every kind of request the live source makes is sent, through netcheck's own client
// (KubeClient, execInPod), to both servers, and the answers are reduced to what netcheck depends
// on — the status code, whether the body is a JSON object or the mux's plain text, kind and
// apiVersion, a Status's status/reason/code/details and message (user names and uids aside),
// a list's metadata and whether its items carry kind/apiVersion, and the fields netcheck reads.
// The double is configured as 1.20 is (EndpointSlices v1beta1, Calico as CRDs, no Cilium, no
// PodSecurity admission, exec authorized as "get") and seeded with the real server's objects, so
// that any difference is the double's behaviour, not its data.
import { ApiError, KubeClient, TransportError } from '../../src/collect/kube/client.ts';
import { execInPod } from '../../src/collect/kube/exec.ts';
import { loadClusterAccess } from '../../src/collect/kube/kubeconfig.ts';
import { PROBE_SELECTOR, probeNamespaceManifest, probePodManifest } from '../../src/collect/kube/probe-pod.ts';

/** One request netcheck makes, and the fields of the answer (or of each list item) it reads. */
export interface RequestCase {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number>;
  body?: unknown;
  /** Dotted paths netcheck reads; the type found at each is compared. */
  reads?: string[];
  /** Sent as the ServiceAccount without any RBAC binding (the 403 shapes). */
  unbound?: boolean;
  /**
   * Sent to the real server as its admin: a request deploy/rbac.yaml does not grant (netcheck
   * handles the 403, which the unbound cases compare) but a cluster admin running netcheck makes.
   */
  admin?: boolean;
}

/** The probe namespace and pod of the comparison (netcheck's own manifests, under a name of their own). */
export const FIDELITY_NS = 'netcheck-fidelity';
export const FIDELITY_POD = 'netcheck-fidelity-probe';

export function probePod(node: string): Record<string, unknown> {
  const pod = probePodManifest({
    node,
    namespace: FIDELITY_NS,
    image: 'nicolaka/netshoot:v0.13',
    runId: 'fidelity',
    owner: 'fidelity-test',
    now: new Date(),
    deadlineSeconds: 300,
    imagePullSecrets: [],
  });
  (pod['metadata'] as Record<string, unknown>)['name'] = FIDELITY_POD;
  return pod;
}

const NODE_READS = [
  'metadata.name',
  'metadata.labels',
  'metadata.annotations',
  'spec.podCIDR',
  'spec.podCIDRs',
  'status.addresses',
  'status.conditions',
];
const POD_READS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.labels',
  'metadata.uid',
  'spec.nodeName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.podIPs',
  'status.hostIP',
];
const PROBE_POD_READS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.labels',
  'metadata.annotations',
  'metadata.uid',
  'metadata.creationTimestamp',
  'spec.nodeName',
  'status.phase',
];
const calico = (plural: string): RequestCase[] => [
  {
    name: `list ${plural}.projectcalico.org/v3 (not served)`,
    method: 'GET',
    path: `/apis/projectcalico.org/v3/${plural}`,
  },
  {
    name: `list ${plural}.crd.projectcalico.org/v1`,
    method: 'GET',
    path: `/apis/crd.projectcalico.org/v1/${plural}`,
    reads: ['metadata.name', 'spec'],
  },
];

/** The live source's requests (src/collect/live-source.ts, src/collect/kube/*), in the order a run makes them. */
export function requestCases(node: string): RequestCase[] {
  const nsPath = `/api/v1/namespaces/${FIDELITY_NS}`;
  const podPath = `${nsPath}/pods/${FIDELITY_POD}`;
  return [
    // Objects (collect/kube/objects.ts).
    { name: 'list nodes', method: 'GET', path: '/api/v1/nodes', reads: NODE_READS },
    { name: 'list pods', method: 'GET', path: '/api/v1/pods', reads: POD_READS },
    { name: 'list pods, paged', method: 'GET', path: '/api/v1/pods', query: { limit: 1 }, reads: POD_READS },
    {
      name: 'list services',
      method: 'GET',
      path: '/api/v1/services',
      reads: ['metadata.name', 'spec.clusterIP', 'spec.clusterIPs', 'spec.ports', 'spec.externalIPs', 'spec.type'],
    },
    {
      name: 'list endpointslices v1 (1.21+: not served)',
      method: 'GET',
      path: '/apis/discovery.k8s.io/v1/endpointslices',
    },
    {
      name: 'list endpointslices v1beta1',
      method: 'GET',
      path: '/apis/discovery.k8s.io/v1beta1/endpointslices',
      reads: ['metadata.name', 'metadata.labels', 'addressType', 'endpoints', 'ports'],
    },
    { name: 'list endpoints', method: 'GET', path: '/api/v1/endpoints', reads: ['metadata.name', 'subsets'] },
    {
      name: 'list networkpolicies',
      method: 'GET',
      path: '/apis/networking.k8s.io/v1/networkpolicies',
      reads: ['metadata.name', 'spec.podSelector', 'spec.policyTypes'],
    },
    ...['ippools', 'blockaffinities', 'felixconfigurations', 'bgpconfigurations'].flatMap(calico),
    { name: 'list ciliumnodes (not served)', method: 'GET', path: '/apis/cilium.io/v2/ciliumnodes' },
    {
      name: 'list configmaps by name',
      method: 'GET',
      path: '/api/v1/configmaps',
      query: { fieldSelector: 'metadata.name=kube-proxy' },
      reads: ['metadata.name', 'metadata.namespace', 'data'],
    },
    {
      name: 'get configmap',
      method: 'GET',
      path: '/api/v1/namespaces/kube-system/configmaps/kube-proxy',
      reads: ['metadata.name', 'data'],
    },
    { name: 'get configmap (absent)', method: 'GET', path: '/api/v1/namespaces/kube-system/configmaps/calico-config' },
    // Stale probes (live-source.ts cleanup): every probe pod by label.
    { name: 'list probe pods by label', method: 'GET', path: '/api/v1/pods', query: { labelSelector: PROBE_SELECTOR } },
    // The probe namespace and pod (probe-runner.ts).
    { admin: true, name: 'get namespace (absent)', method: 'GET', path: nsPath },
    {
      name: 'create namespace',
      method: 'POST',
      path: '/api/v1/namespaces',
      query: { fieldValidation: 'Strict' },
      body: probeNamespaceManifest(FIDELITY_NS),
      reads: ['metadata.name', 'metadata.labels', 'metadata.uid', 'status.phase'],
    },
    {
      name: 'create namespace (exists)',
      method: 'POST',
      path: '/api/v1/namespaces',
      query: { fieldValidation: 'Strict' },
      body: probeNamespaceManifest(FIDELITY_NS),
    },
    {
      admin: true,
      name: 'get namespace',
      method: 'GET',
      path: nsPath,
      reads: ['metadata.name', 'metadata.labels', 'metadata.deletionTimestamp', 'status.phase'],
    },
    {
      name: 'selfsubjectaccessreview: delete pods',
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: FIDELITY_NS, verb: 'delete', resource: 'pods' } },
      },
      reads: ['status.allowed', 'spec.resourceAttributes'],
    },
    {
      name: 'create probe pod',
      method: 'POST',
      path: `${nsPath}/pods`,
      query: { fieldValidation: 'Strict' },
      body: probePod(node),
      reads: PROBE_POD_READS,
    },
    {
      name: 'create probe pod (exists)',
      method: 'POST',
      path: `${nsPath}/pods`,
      query: { fieldValidation: 'Strict' },
      body: probePod(node),
    },
    {
      name: 'list probe pods of the run',
      method: 'GET',
      path: `${nsPath}/pods`,
      query: { labelSelector: 'netcheck.dev/run=fidelity' },
      reads: PROBE_POD_READS,
    },
    // The RBAC failure shapes (collect/kube/errors.ts names the verb and resource from them).
    { name: 'list nodes, unbound', method: 'GET', path: '/api/v1/nodes', unbound: true },
    { name: 'list pods, unbound', method: 'GET', path: '/api/v1/pods', unbound: true },
    {
      name: 'get configmap, unbound',
      method: 'GET',
      path: '/api/v1/namespaces/kube-system/configmaps/kube-proxy',
      unbound: true,
    },
    {
      name: 'list calico v3 (not served), unbound',
      method: 'GET',
      path: '/apis/projectcalico.org/v3/ippools',
      unbound: true,
    },
    { name: 'list calico crd, unbound', method: 'GET', path: '/apis/crd.projectcalico.org/v1/ippools', unbound: true },
    { name: 'get namespace, unbound', method: 'GET', path: nsPath, unbound: true },
    {
      name: 'create namespace, unbound',
      method: 'POST',
      path: '/api/v1/namespaces',
      query: { fieldValidation: 'Strict' },
      body: probeNamespaceManifest('netcheck-fidelity-other'),
      unbound: true,
    },
    {
      name: 'selfsubjectaccessreview, unbound',
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace: FIDELITY_NS, verb: 'delete', resource: 'pods' } },
      },
      reads: ['status.allowed'],
      unbound: true,
    },
    {
      name: 'delete probe pod, unbound',
      method: 'DELETE',
      path: podPath,
      query: { gracePeriodSeconds: 0 },
      unbound: true,
    },
  ];
}

/** The end of a run: the probe pod and the namespace deleted (cleanup.ts, live-source.ts). */
export function teardownCases(): RequestCase[] {
  const nsPath = `/api/v1/namespaces/${FIDELITY_NS}`;
  const podPath = `${nsPath}/pods/${FIDELITY_POD}`;
  return [
    {
      name: 'delete probe pod',
      method: 'DELETE',
      path: podPath,
      query: { gracePeriodSeconds: 0 },
      reads: ['metadata.name', 'metadata.deletionTimestamp'],
    },
    { name: 'delete probe pod (gone)', method: 'DELETE', path: podPath, query: { gracePeriodSeconds: 0 } },
    {
      admin: true,
      name: 'delete namespace',
      method: 'DELETE',
      path: nsPath,
      reads: ['metadata.name', 'metadata.deletionTimestamp', 'status.phase'],
    },
    {
      admin: true,
      name: 'get namespace (being deleted)',
      method: 'GET',
      path: nsPath,
      reads: ['metadata.name', 'metadata.deletionTimestamp', 'status.phase'],
    },
  ];
}

export interface Answer {
  code: number;
  /** A JSON object, or the text of a non-JSON body. */
  json?: Record<string, unknown>;
  text?: string;
}

/** Sends one request through netcheck's own client; an error status is an answer, not a failure. */
export async function send(client: KubeClient, c: RequestCase): Promise<Answer> {
  try {
    const o = await client.request(c.method, c.path, {
      ...(c.query !== undefined ? { query: c.query } : {}),
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
    // KubeClient hides the 2xx code: a create answers 201, everything else netcheck sends 200.
    return { code: c.method === 'POST' ? 201 : 200, json: o as Record<string, unknown> };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    try {
      const json = JSON.parse(e.body) as unknown;
      if (typeof json === 'object' && json !== null && !Array.isArray(json))
        return { code: e.code, json: json as Record<string, unknown> };
    } catch {
      /* the mux's plain text */
    }
    return { code: e.code, text: e.body.trim() };
  }
}

function typeOf(v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

function at(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.'))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** Who asked, by name: the double's and the real server's users differ and are not the point. */
function anonymise(message: string): string {
  return message
    .replace(/User "[^"]*"/g, 'User "<user>"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/failed to start exec "[0-9a-f]{32,64}"/g, 'failed to start exec "<id>"');
}

/** What netcheck depends on in an answer. */
export function shape(a: Answer, reads: readonly string[] = []): Record<string, unknown> {
  if (a.json === undefined) return { code: a.code, text: a.text };
  const o = a.json;
  const out: Record<string, unknown> = { code: a.code, kind: o['kind'], apiVersion: o['apiVersion'] };
  if (o['kind'] === 'Status') {
    const d = (o['details'] ?? {}) as Record<string, unknown>;
    Object.assign(out, {
      status: o['status'],
      reason: o['reason'],
      statusCode: o['code'],
      message: anonymise(String(o['message'] ?? '')),
      details: Object.fromEntries(
        Object.keys(d)
          .sort()
          .map((k) => [k, k === 'causes' ? typeOf(d[k]) : d[k]]),
      ),
    });
    return out;
  }
  const items = o['items'];
  if (Array.isArray(items)) {
    out['listMetadata'] = Object.keys((o['metadata'] ?? {}) as object)
      .filter((k) => k !== 'selfLink')
      .sort();
    out['items'] = items.length;
    out['itemsCarryKind'] = items.some((i) => (i as Record<string, unknown>)['kind'] !== undefined);
    out['itemsCarryApiVersion'] = items.some((i) => (i as Record<string, unknown>)['apiVersion'] !== undefined);
    out['reads'] = Object.fromEntries(reads.map((r) => [r, [...new Set(items.map((i) => typeOf(at(i, r))))].sort()]));
    return out;
  }
  out['reads'] = Object.fromEntries(reads.map((r) => [r, typeOf(at(o, r))]));
  return out;
}

export function clientFor(kubeconfig: string, context?: string): KubeClient {
  return new KubeClient(
    loadClusterAccess({ kubeconfig, ...(context !== undefined ? { context } : {}), env: {}, requestTimeout: '20s' }),
  );
}

/** An exec's answer as netcheck reads it: output, exit code and the Status of channel 3; or the refused upgrade's code. */
export async function execShape(
  client: KubeClient,
  namespace: string,
  pod: string,
  argv: string[],
): Promise<Record<string, unknown>> {
  try {
    const r = await execInPod(client, namespace, pod, 'probe', argv, { timeoutMs: 20_000 });
    const s = r.status;
    return {
      stdout: r.stdout,
      stderr: r.stderr,
      code: r.code,
      status: s.status,
      reason: s.reason,
      message: anonymise(s.message ?? ''),
      causes: s.details?.causes?.map((c) => ({ ...c, message: anonymise(c.message ?? '') })),
    };
  } catch (e) {
    if (e instanceof ApiError) return { refused: e.code };
    if (e instanceof TransportError) return { transport: e.errCode };
    throw e;
  }
}
