// A Model of a single node and no cluster objects: for running one check on a host built from
// real probe output or by hand.
import { analysisContext } from '../../src/checks/context.ts';
import type { AnalysisContext } from '../../src/checks/context.ts';
import { clusterInfo } from '../../src/model/cluster.ts';
import { objectsProvenance } from '../../src/model/objects-provenance.ts';
import type { Model } from '../../src/model/model.ts';
import type { HostState } from '../../src/model/types.ts';
import { emptyObjects } from '../../src/snapshot/types.ts';

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
