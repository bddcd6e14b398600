// The analysed Model: every probed host parsed, the cluster objects typed, and what the snapshot
// itself says it could not collect. Pure: the same snapshot always gives the same Model.
import type { Snapshot } from '../snapshot/types.ts';
import { clusterInfo } from './cluster.ts';
import type { ClusterInfo } from './cluster.ts';
import { buildHostState } from './host.ts';
import { ParseShare } from './parse-share.ts';
import { objectsProvenance } from './objects-provenance.ts';
import type { ObjectsProvenance } from './objects-provenance.ts';
import type { HostState } from './types.ts';

export interface Model {
  /** Probed hosts by node name (a node whose probe failed is absent, see `unprobed`). */
  hosts: Map<string, HostState>;
  cluster: ClusterInfo;
  /** Per object kind: collected, partial, unparseable, failed or absent (model/objects-provenance.ts). */
  objects: ObjectsProvenance;
  /** Nodes that have a snapshot entry but no usable state: node → why. */
  unprobed: Map<string, string>;
  capturedAt: string;
  context?: string;
  /** Collection warnings carried by the snapshot (a 403 on one kind, a node not probed). */
  warnings: string[];
}

export interface BuildOptions {
  /**
   * Take each host's entry out of `snap` once it is built, so that its texts (a 1,000-node
   * cluster's counter columns and per-node route, neighbour and fdb lists: most of the snapshot)
   * are freed host by host rather than all at the end: for a caller that owns the snapshot and
   * has no other use for its hosts.
   */
  consume?: boolean;
  /** Called after each host is built: where a caller may collect what the host's reading left. */
  afterHost?: () => void;
}

export function buildModel(snap: Snapshot, opts: BuildOptions = {}): Model {
  const hosts = new Map<string, HostState>();
  const unprobed = new Map<string, string>();
  const share = new ParseShare();
  for (const name of Object.keys(snap.hosts).sort((a, b) => a.localeCompare(b))) {
    const entry = snap.hosts[name]!;
    if (opts.consume === true) delete snap.hosts[name];
    // An entry without any output is no probed node, whatever its errors say.
    if (Object.keys(entry.sections).length === 0) unprobed.set(name, noOutputReason(entry.errors));
    else hosts.set(name, buildHostState(name, entry, share));
    opts.afterHost?.();
  }
  const cluster = clusterInfo(snap.objects);
  const m: Model = {
    hosts,
    cluster,
    objects: objectsProvenance(snap.objects, cluster, snap.warnings ?? []),
    unprobed,
    capturedAt: snap.capturedAt,
    warnings: [...(snap.warnings ?? [])],
  };
  if (snap.context !== undefined) m.context = snap.context;
  return m;
}

function noOutputReason(errors: Record<string, string>): string {
  const probe = errors['probe'];
  if (probe !== undefined) return probe;
  const listed = Object.entries(errors).map(([k, v]) => `${k}: ${v}`);
  return listed.length > 0
    ? `the snapshot entry holds no output, only errors (${listed.slice(0, 3).join('; ')})`
    : 'the snapshot entry holds no output';
}
