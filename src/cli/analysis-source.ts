// Where a diagnosis command gets its Model: a snapshot file (--snapshot), or the live cluster
// through the probe pods of the nodes the question needs. Progress goes to stderr, only on a terminal.
import { buildModel } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import type { SnapshotObjects } from '../snapshot/types.ts';
import { readSnapshot } from '../snapshot/io.ts';
import type { GlobalArgs } from './global-options.ts';
import { clusterAccessOptions } from './commands/cluster-args.ts';
import { probeProgress } from './progress.ts';

export interface SourceNeeds {
  /** Nodes to probe, from the objects (a flow's ends); undefined = every node. */
  nodes?: (objects: SnapshotObjects) => readonly string[] | undefined;
}

export async function loadModel(argv: GlobalArgs, needs: SourceNeeds = {}): Promise<Model> {
  if (argv.snapshot !== undefined) return buildModel(await readSnapshot(argv.snapshot));
  // client-node is heavy to load: the live source is imported only when a command needs it.
  const { collectLive } = await import('../collect/live-source.ts');
  const progress = await probeProgress();
  const snap = await collectLive({
    ...clusterAccessOptions(argv),
    concurrency: argv.concurrency,
    timeoutSeconds: argv.timeout,
    ...(argv.image !== undefined ? { image: argv.image } : {}),
    ...(needs.nodes !== undefined ? { chooseNodes: needs.nodes } : {}),
    ...(progress.onProgress !== undefined ? { onProgress: progress.onProgress } : {}),
  }).finally(() => progress.stop());
  for (const w of snap.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
  return buildModel(snap);
}

/** The namespace a bare name means: -n, else "default" (the kubeconfig context's namespace in live mode). */
export function defaultNamespace(argv: GlobalArgs): string {
  return argv.namespace ?? 'default';
}
