// Lists the API objects the analysis reads, raw, in parallel. The core kinds (Nodes, Pods,
// Services, and Service backends) must be read: failing to read one is a failure to collect, never
// an empty cluster. A kind the cluster does not serve (no Calico, no Cilium) or that RBAC hides is
// a warning, not a failure: the analysis says what it could not see.
import { ClusterError } from '../../lib/errors.ts';
import type { KubeObject, ObjectKind, SnapshotObjects } from '../../snapshot/types.ts';
import { emptyObjects } from '../../snapshot/types.ts';
import { ApiError } from './client.ts';
import type { KubeClient } from './client.ts';
import { endpointsAsSlices, sliceV1beta1AsV1 } from './endpoints.ts';
import { apiErrorMessage, isNotFound } from './errors.ts';

/** One place a kind is served, and how its objects become the snapshot's shape. */
export interface KindPath {
  path: string;
  /** Converts one listed object to the snapshot's (newest) shape; identity when absent. */
  convert?: (o: KubeObject) => KubeObject[];
}

/** Where a kind lives: tried in order, the first path the cluster serves wins. */
interface KindSource {
  kind: ObjectKind;
  paths: readonly KindPath[];
  /** The analysis cannot stand without it: not reading it fails the collection (exit 3). */
  core: boolean;
}

// Calico's aggregated API (projectcalico.org/v3, served by calico-apiserver) is what calicoctl and
// the docs show; clusters without calico-apiserver only have the CRDs behind it
// (crd.projectcalico.org/v1), which hold the same spec.
const calico = (plural: string): readonly KindPath[] => [
  { path: `/apis/projectcalico.org/v3/${plural}` },
  { path: `/apis/crd.projectcalico.org/v1/${plural}` },
];
const only = (path: string): readonly KindPath[] => [{ path }];

export const KIND_SOURCES: readonly KindSource[] = [
  { kind: 'nodes', paths: only('/api/v1/nodes'), core: true },
  { kind: 'pods', paths: only('/api/v1/pods'), core: true },
  { kind: 'services', paths: only('/api/v1/services'), core: true },
  // discovery.k8s.io/v1 from Kubernetes 1.21; v1beta1 from 1.17 (removed in 1.25); core
  // Endpoints everywhere (the EndpointSlice mirroring controller keeps both in step).
  {
    kind: 'endpointSlices',
    paths: [
      { path: '/apis/discovery.k8s.io/v1/endpointslices' },
      { path: '/apis/discovery.k8s.io/v1beta1/endpointslices', convert: (o) => [sliceV1beta1AsV1(o)] },
      { path: '/api/v1/endpoints', convert: endpointsAsSlices },
    ],
    core: true,
  },
  { kind: 'networkPolicies', paths: only('/apis/networking.k8s.io/v1/networkpolicies'), core: false },
  { kind: 'ipPools', paths: calico('ippools'), core: false },
  { kind: 'blockAffinities', paths: calico('blockaffinities'), core: false },
  { kind: 'felixConfigurations', paths: calico('felixconfigurations'), core: false },
  { kind: 'bgpConfigurations', paths: calico('bgpconfigurations'), core: false },
  { kind: 'ciliumNodes', paths: only('/apis/cilium.io/v2/ciliumnodes'), core: false },
];

/** The networking ConfigMaps, and the namespaces the projects install them in. */
export const NETWORK_CONFIGMAPS: readonly { name: string; namespaces: readonly string[] }[] = [
  { name: 'kube-proxy', namespaces: ['kube-system'] },
  { name: 'cilium-config', namespaces: ['kube-system', 'cilium'] },
  { name: 'calico-config', namespaces: ['kube-system', 'calico-system'] },
  { name: 'kube-flannel-cfg', namespaces: ['kube-flannel', 'kube-system'] },
  // kube-router's manifests (daemonset/*.yaml): its CNI conflist, the evidence it is the CNI.
  { name: 'kube-router-cfg', namespaces: ['kube-system'] },
];

export interface ListedObjects {
  objects: SnapshotObjects;
  warnings: string[];
}

function kindLabel(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  return parts[0] === 'api' ? (parts[2] ?? path) : `${parts[3] ?? ''}.${parts[1] ?? ''}`;
}

interface KindResult {
  items: KubeObject[];
  warning?: string;
  /** A core kind could not be read: the sentence of the collection failure. */
  failure?: string;
}

async function listKind(client: KubeClient, src: KindSource, signal: AbortSignal | undefined): Promise<KindResult> {
  const failures: ApiError[] = [];
  for (const { path, convert } of src.paths) {
    try {
      const items = await client.list(path, {}, signal);
      const r: KindResult = { items: convert === undefined ? items : items.flatMap(convert) };
      // Quiet when an older version simply is not served; said when a newer one was refused.
      const refused = failures.find((f) => !isNotFound(f));
      if (refused !== undefined)
        r.warning = `${src.kind}: read from ${path} because ${apiErrorMessage(refused, client.access.userName)}`;
      return r;
    } catch (e) {
      // Anything but an API answer (the server is gone) stops the whole collection.
      if (!(e instanceof ApiError)) throw e;
      failures.push(e);
    }
  }
  const worst = failures.find((f) => !isNotFound(f)) ?? failures[0]!;
  if (src.core) {
    return {
      items: [],
      failure: `cannot collect ${src.kind}, which every analysis needs: ${apiErrorMessage(worst, client.access.userName)}`,
    };
  }
  if (failures.every((f) => isNotFound(f))) {
    return {
      items: [],
      warning: `${src.kind}: this cluster does not serve ${src.paths.map((p) => kindLabel(p.path)).join(' or ')}; none collected`,
    };
  }
  return { items: [], warning: `${src.kind}: not collected: ${apiErrorMessage(worst, client.access.userName)}` };
}

/** A ConfigMap by name in any namespace; falls back to the usual namespaces when listing is denied. */
async function findConfigMap(
  client: KubeClient,
  cm: (typeof NETWORK_CONFIGMAPS)[number],
  signal: AbortSignal | undefined,
): Promise<{ items: KubeObject[]; warning?: string }> {
  try {
    return { items: await client.list('/api/v1/configmaps', { fieldSelector: `metadata.name=${cm.name}` }, signal) };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  const items: KubeObject[] = [];
  let denied: ApiError | undefined;
  for (const ns of cm.namespaces) {
    try {
      const o: { signal?: AbortSignal } = {};
      if (signal !== undefined) o.signal = signal;
      items.push((await client.request('GET', `/api/v1/namespaces/${ns}/configmaps/${cm.name}`, o)) as KubeObject);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (!isNotFound(e)) denied = e;
    }
  }
  return denied === undefined
    ? { items }
    : { items, warning: `configMaps: ${cm.name} not collected: ${apiErrorMessage(denied, client.access.userName)}` };
}

function sortObjects(list: KubeObject[]): KubeObject[] {
  const key = (o: KubeObject) => {
    const m = (o['metadata'] ?? {}) as { namespace?: string; name?: string };
    return `${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  return list.sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Every kind the snapshot carries; warnings say what is missing and why. Throws ClusterError
 * when a core kind cannot be read (the first in KIND_SOURCES order, so the sentence is stable).
 */
export async function listObjects(client: KubeClient, signal?: AbortSignal): Promise<ListedObjects> {
  const objects = emptyObjects();
  const warnings: string[] = [];
  const kinds = KIND_SOURCES.map(async (src) => {
    const r = await listKind(client, src, signal);
    objects[src.kind] = sortObjects(r.items);
    return r;
  });
  const maps = NETWORK_CONFIGMAPS.map((cm) => findConfigMap(client, cm, signal));
  const [kindResults, mapResults] = await Promise.all([Promise.all(kinds), Promise.all(maps)]);
  const failure = kindResults.find((r) => r.failure !== undefined)?.failure;
  if (failure !== undefined) throw new ClusterError(failure);
  objects.configMaps = sortObjects(mapResults.flatMap((r) => r.items));
  for (const w of [...kindResults, ...mapResults].map((r) => r.warning)) if (w !== undefined) warnings.push(w);
  return { objects, warnings };
}
