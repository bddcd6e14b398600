// Which kinds of Kubernetes object the snapshot carries, in the same terms as a host's sections
// (model/provenance.ts): collected, partial or unparseable (entries the model could not read),
// failed (the collection recorded why, in the snapshot's `warnings`) or absent. An empty list of a
// kind means "none" only where the kind is usable.
import { ABSENT_KIND, OBJECT_KINDS } from '../snapshot/types.ts';
import type { ObjectKind, SnapshotObjects } from '../snapshot/types.ts';
import type { ClusterInfo } from './cluster.ts';
import type { SectionStatus } from './provenance.ts';

export type ObjectsProvenance = ReadonlyMap<ObjectKind, SectionStatus>;

/** The typed list each kind becomes, to count the entries the model could read. */
const PARSED: Partial<Record<ObjectKind, (c: ClusterInfo) => readonly unknown[]>> = {
  nodes: (c) => c.nodes,
  pods: (c) => c.pods,
  services: (c) => c.services,
  endpointSlices: (c) => c.endpointSlices,
  ipPools: (c) => c.ipPools,
  blockAffinities: (c) => c.blockAffinities,
  configMaps: (c) => c.configMaps.filter((m) => m.name !== ''),
};

/**
 * Per kind: a collection warning "<kind>: not collected: <why>" (collect/kube/objects.ts) marks it
 * failed, "<kind>: not in the snapshot" absent; "<kind>: this cluster does not serve ..." is an
 * answer (the CRD is not installed: there are none).
 */
export function objectsProvenance(
  objects: SnapshotObjects,
  cluster: ClusterInfo,
  warnings: readonly string[],
): ObjectsProvenance {
  const out = new Map<ObjectKind, SectionStatus>();
  for (const kind of OBJECT_KINDS) {
    const mine = warnings.filter((w) => w.startsWith(`${kind}: `)).map((w) => w.slice(kind.length + 2));
    const failed = mine.find((w) => /\bnot collected\b/.test(w));
    if (mine.includes(ABSENT_KIND)) out.set(kind, { state: 'absent' });
    else if (failed !== undefined) out.set(kind, { state: 'failed', reason: failed });
    else out.set(kind, readStatus(kind, objects[kind].length, PARSED[kind]?.(cluster).length));
  }
  return out;
}

function readStatus(kind: ObjectKind, raw: number, parsed: number | undefined): SectionStatus {
  if (parsed === undefined || parsed >= raw) return { state: 'collected' };
  const warnings = [`${raw - parsed} of ${raw} ${kind} could not be read (no name or required field)`];
  return parsed === 0 ? { state: 'unparseable', warnings } : { state: 'partial', warnings };
}

/** How to get a kind into the snapshot: the permission to list it, then a new collection. */
export function howToCollectObjects(kind: ObjectKind): string {
  return `permission to list ${kind} (deploy/rbac.yaml), then \`kubectl netcheck collect\` again`;
}
