// The analysed Model: every probed host parsed, the cluster objects typed, and what the snapshot
// itself says it could not collect. Pure: the same snapshot always gives the same Model.
import type { Snapshot } from '../snapshot/types.ts';
import { clusterInfo } from './cluster.ts';
import type { ClusterInfo } from './cluster.ts';
import { buildHostState } from './host.ts';
import type { HostState } from './types.ts';

export interface Model {
  /** Probed hosts by node name (a node whose probe failed is absent, see `unprobed`). */
  hosts: Map<string, HostState>;
  cluster: ClusterInfo;
  /** Nodes that have a snapshot entry but no usable state: node → why. */
  unprobed: Map<string, string>;
  capturedAt: string;
  context?: string;
  /** Collection warnings carried by the snapshot (a 403 on one kind, a node not probed). */
  warnings: string[];
}

export function buildModel(snap: Snapshot): Model {
  const hosts = new Map<string, HostState>();
  const unprobed = new Map<string, string>();
  for (const [name, entry] of Object.entries(snap.hosts).sort(([a], [b]) => a.localeCompare(b))) {
    const probeError = entry.errors['probe'];
    if (probeError !== undefined && Object.keys(entry.sections).length === 0) unprobed.set(name, probeError);
    else hosts.set(name, buildHostState(name, entry));
  }
  const m: Model = {
    hosts,
    cluster: clusterInfo(snap.objects),
    unprobed,
    capturedAt: snap.capturedAt,
    warnings: [...(snap.warnings ?? [])],
  };
  if (snap.context !== undefined) m.context = snap.context;
  return m;
}
