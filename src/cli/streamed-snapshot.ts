// `collect -o X.gz` (v2): each node's entry is written as it arrives (src/snapshot/v2/write.ts), so
// the collector never holds the cluster's sections at once; the head goes first, once the objects
// are read, and the warnings known only at the end go in the end record. A collection that fails
// leaves no file behind, as the in-memory path writes none.
import { createWriteStream, rmSync } from 'node:fs';
import type { LiveOptions } from '../collect/live-source.ts';
import type { Snapshot } from '../snapshot/types.ts';
import { SnapshotV2Writer } from '../snapshot/v2/write.ts';

export interface StreamedV2 {
  options: Pick<LiveOptions, 'onObjects' | 'onHost'>;
  /** Writes the hosts not yet written (those that failed: errors only) and the end record. */
  finish(s: Snapshot): Promise<void>;
  abandon(): Promise<void>;
}

export async function streamedV2(path: string): Promise<StreamedV2> {
  const w = new SnapshotV2Writer(createWriteStream(path));
  const written = new Set<string>();
  let early = 0;
  // One record at a time: nodes finish in parallel.
  let chain = Promise.resolve();
  const then = (f: () => Promise<void>): Promise<void> => {
    chain = chain.then(f);
    return chain;
  };
  return {
    options: {
      onObjects: (head) => {
        early = head.warnings?.length ?? 0;
        return then(() => w.head(head));
      },
      onHost: (node, entry) => {
        written.add(node);
        return then(() => w.host(node, entry));
      },
    },
    finish: async (s) => {
      for (const [name, entry] of Object.entries(s.hosts))
        if (!written.has(name)) await then(() => w.host(name, entry));
      await then(() => w.end((s.warnings ?? []).slice(early)));
    },
    abandon: async () => {
      await chain.catch(() => undefined);
      await w.end().catch(() => undefined);
      rmSync(path, { force: true });
    },
  };
}
