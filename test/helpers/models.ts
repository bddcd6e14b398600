// A Model of a single node and no cluster objects: for running one check on a host built from
// real probe output or by hand; a Snapshot of hosts made by hand.
import { analysisContext } from '../../src/checks/context.ts';
import type { AnalysisContext } from '../../src/checks/context.ts';
import { clusterInfo } from '../../src/model/cluster.ts';
import { objectsProvenance } from '../../src/model/objects-provenance.ts';
import type { Model } from '../../src/model/model.ts';
import type { HostState } from '../../src/model/types.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND, emptyObjects } from '../../src/snapshot/types.ts';
import type { HostEntry, Snapshot } from '../../src/snapshot/types.ts';

export function oneNodeContext(h: HostState): AnalysisContext {
  const model: Model = {
    hosts: new Map([[h.name, h]]),
    cluster: clusterInfo(emptyObjects()),
    objects: objectsProvenance(emptyObjects(), clusterInfo(emptyObjects()), []),
    unprobed: new Map(),
    capturedAt: '2026-11-23T00:00:00Z',
    warnings: [],
  };
  return analysisContext(model);
}

/** A snapshot of hosts with these sections (no errors) and no objects. */
export function snapshotOf(hosts: Record<string, Record<string, string>>): Snapshot {
  const entries: Record<string, HostEntry> = {};
  for (const [name, sections] of Object.entries(hosts)) entries[name] = { sections, errors: {} } as HostEntry;
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    capturedAt: '2026-12-04T00:00:00Z',
    objects: emptyObjects(),
    hosts: entries,
  } as unknown as Snapshot;
}
