// Lists the API objects the analysis reads, raw, in parallel. A kind the cluster does not serve
// (no Calico, no Cilium) or that RBAC hides is a warning, not a failure: the analysis says what it
// could not see. Only losing the API server itself is fatal.
import type { KubeObject, ObjectKind, SnapshotObjects } from '../../snapshot/types.ts';
import { emptyObjects } from '../../snapshot/types.ts';
import { ApiError } from './client.ts';
import type { KubeClient } from './client.ts';
import { apiErrorMessage, isNotFound } from './errors.ts';

/** Where a kind lives: tried in order, the first path the cluster serves wins. */
interface KindSource {
  kind: ObjectKind;
  paths: readonly string[];
}

// Calico's aggregated API (projectcalico.org/v3, served by calico-apiserver) is what calicoctl and
// the docs show; clusters without calico-apiserver only have the CRDs behind it
// (crd.projectcalico.org/v1), which hold the same spec.
const calico = (plural: string): readonly string[] => [
  `/apis/projectcalico.org/v3/${plural}`,
  `/apis/crd.projectcalico.org/v1/${plural}`,
];

export const KIND_SOURCES: readonly KindSource[] = [
  { kind: 'nodes', paths: ['/api/v1/nodes'] },
  { kind: 'pods', paths: ['/api/v1/pods'] },
  { kind: 'services', paths: ['/api/v1/services'] },
  { kind: 'endpointSlices', paths: ['/apis/discovery.k8s.io/v1/endpointslices'] },
  { kind: 'networkPolicies', paths: ['/apis/networking.k8s.io/v1/networkpolicies'] },
  { kind: 'ipPools', paths: calico('ippools') },
  { kind: 'blockAffinities', paths: calico('blockaffinities') },
  { kind: 'felixConfigurations', paths: calico('felixconfigurations') },
  { kind: 'bgpConfigurations', paths: calico('bgpconfigurations') },
  { kind: 'ciliumNodes', paths: ['/apis/cilium.io/v2/ciliumnodes'] },
];

/** The networking ConfigMaps, and the namespaces the projects install them in. */
export const NETWORK_CONFIGMAPS: readonly { name: string; namespaces: readonly string[] }[] = [
  { name: 'kube-proxy', namespaces: ['kube-system'] },
  { name: 'cilium-config', namespaces: ['kube-system', 'cilium'] },
  { name: 'calico-config', namespaces: ['kube-system', 'calico-system'] },
  { name: 'kube-flannel-cfg', namespaces: ['kube-flannel', 'kube-system'] },
];

export interface ListedObjects {
  objects: SnapshotObjects;
  warnings: string[];
}

function kindLabel(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  return parts[0] === 'api' ? (parts[2] ?? path) : `${parts[3] ?? ''}.${parts[1] ?? ''}`;
}

async function listKind(
  client: KubeClient,
  src: KindSource,
  signal: AbortSignal | undefined,
): Promise<{ items: KubeObject[]; warning?: string }> {
  const failures: ApiError[] = [];
  for (const path of src.paths) {
    try {
      return { items: await client.list(path, {}, signal) };
    } catch (e) {
      // Anything but an API answer (the server is gone) stops the whole collection.
      if (!(e instanceof ApiError)) throw e;
      failures.push(e);
    }
  }
  if (failures.every((f) => isNotFound(f))) {
    return {
      items: [],
      warning: `${src.kind}: this cluster does not serve ${src.paths.map(kindLabel).join(' or ')}; none collected`,
    };
  }
  const worst = failures.find((f) => !isNotFound(f)) ?? failures[0]!;
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

/** Every kind the snapshot carries; warnings say what is missing and why. */
export async function listObjects(client: KubeClient, signal?: AbortSignal): Promise<ListedObjects> {
  const objects = emptyObjects();
  const warnings: string[] = [];
  const kinds = KIND_SOURCES.map(async (src) => {
    const r = await listKind(client, src, signal);
    objects[src.kind] = sortObjects(r.items);
    return r.warning;
  });
  const maps = NETWORK_CONFIGMAPS.map((cm) => findConfigMap(client, cm, signal));
  const [kindWarnings, mapResults] = await Promise.all([Promise.all(kinds), Promise.all(maps)]);
  objects.configMaps = sortObjects(mapResults.flatMap((r) => r.items));
  for (const w of [...kindWarnings, ...mapResults.map((r) => r.warning)]) if (w !== undefined) warnings.push(w);
  return { objects, warnings };
}
