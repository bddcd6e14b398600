// The snapshot: the contract between collection and analysis (docs/snapshot.md).
// It holds raw evidence only; parsing happens at analysis time so that a better parser
// re-analyses old snapshots.

export const SNAPSHOT_API_VERSION = 'netcheck.dev/v1';
export const SNAPSHOT_KIND = 'Snapshot';

/** A Kubernetes API object exactly as the API server returned it (JSON). */
export type KubeObject = Record<string, unknown>;

/** The object lists a snapshot carries, keyed as in docs/snapshot.md ("objects"). */
export const OBJECT_KINDS = [
  'nodes',
  'pods',
  'services',
  'endpointSlices',
  'networkPolicies',
  'configMaps',
  'ipPools',
  'blockAffinities',
  'ciliumNodes',
  'felixConfigurations',
  'bgpConfigurations',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];
export type SnapshotObjects = Record<ObjectKind, KubeObject[]>;

/** The warning "<kind>: not in the snapshot" that reading a file without that kind adds (model/objects-provenance.ts). */
export const ABSENT_KIND = 'not in the snapshot';

/** One probed node: raw stdout per section, and per-section errors (a missing tool is data). */
export interface HostEntry {
  sections: Record<string, string>;
  errors: Record<string, string>;
}

export interface Snapshot {
  apiVersion: typeof SNAPSHOT_API_VERSION;
  kind: typeof SNAPSHOT_KIND;
  capturedAt: string;
  context?: string;
  /** Problems met while collecting (a 403 on one kind, a node that could not be probed). */
  warnings?: string[];
  objects: SnapshotObjects;
  hosts: Record<string, HostEntry>;
}

export function emptyObjects(): SnapshotObjects {
  const o = {} as SnapshotObjects;
  for (const k of OBJECT_KINDS) o[k] = [];
  return o;
}
