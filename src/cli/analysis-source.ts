// Where a diagnosis command gets its Model: a snapshot file (--snapshot), or the live cluster
// through the probe pods of the nodes the question needs. Progress goes to stderr, only on a terminal.
// Collection warnings reach the user once: in the report's notes (model.warnings), not also here.
import type { LiveOptions } from '../collect/live-source.ts';
import { collectGarbage, collectYoungGarbage, YOUNG_GARBAGE_HOSTS } from '../lib/collect-garbage.ts';
import { buildModel } from '../model/model.ts';
import type { BuildOptions, Model } from '../model/model.ts';
import { readSnapshot } from '../snapshot/io.ts';
import type { SnapshotObjects } from '../snapshot/types.ts';
import type { Source } from './options/source.ts';
import { probeProgress } from './progress.ts';

/** A live collection's options as the flags set them (checked); the command adds what it needs. */
export type LiveSettings = Omit<LiveOptions, 'chooseNodes' | 'onProgress' | 'nodes'>;

export interface SourceNeeds {
  /** Nodes to probe, from the objects (a flow's ends); undefined = every node. */
  nodes?: (objects: SnapshotObjects) => readonly string[] | undefined;
}

export async function loadModel(source: Source, needs: SourceNeeds = {}): Promise<Model> {
  if (source.kind === 'snapshot') return settled(buildModel(await readSnapshot(source.path), building()));
  // client-node is heavy to load: the live source is imported only when a command needs it.
  const { collectLive } = await import('../collect/live-source.ts');
  const progress = await probeProgress();
  const snap = await collectLive({
    ...source.live,
    ...(needs.nodes !== undefined ? { chooseNodes: needs.nodes } : {}),
    ...(progress.onProgress !== undefined ? { onProgress: progress.onProgress } : {}),
  }).finally(() => progress.stop());
  return settled(buildModel(snap, building()));
}

/** How a command builds its model: from a snapshot it owns, its garbage collected as it goes. */
function building(): BuildOptions {
  let built = 0;
  return {
    consume: true,
    afterHost: () => {
      if (++built % YOUNG_GARBAGE_HOSTS === 0) collectYoungGarbage();
    },
  };
}

/** Above this heap, a model just built leaves a large snapshot's garbage worth collecting at once. */
const SETTLE_HEAP_BYTES = 256 * 1024 * 1024;

/** `m`, the snapshot it was built from collected (lib/collect-garbage.ts) when that was large. */
function settled(m: Model): Model {
  if (process.memoryUsage().heapUsed > SETTLE_HEAP_BYTES) collectGarbage();
  return m;
}
