// Where an analysis command reads the cluster from: a snapshot file (--snapshot FILE, - for stdin)
// or the live cluster, with the flags each needs — and only those: a cluster or collection flag
// next to --snapshot is a usage error, not silently ignored.
import type { Argv } from 'yargs';
import { InputError } from '../../lib/errors.ts';
import { type Args, given } from '../command.ts';
import { CLUSTER_FLAGS, clusterAccess, withClusterOptions } from './cluster.ts';
import { COLLECTION_FLAGS, probeSettings, withCollectionOptions } from './collection.ts';
import type { LiveSettings } from '../analysis-source.ts';
import { text } from './values.ts';

export type Source = { kind: 'snapshot'; path: string } | { kind: 'live'; live: LiveSettings };

export function withSourceOptions(y: Argv): Argv {
  return withCollectionOptions(
    withClusterOptions(
      y.option('snapshot', {
        type: 'string',
        requiresArg: true,
        describe: 'Analyse this snapshot file (from collect; - reads stdin) instead of the live cluster',
      }),
    ),
  );
}

/** The source the flags name, checked; `liveOnly` are the command's own flags that need a live cluster. */
export async function sourceOf(argv: Args, liveOnly: readonly string[] = []): Promise<Source> {
  const path = text('--snapshot', argv['snapshot']);
  if (path !== undefined) {
    const stray = given(argv, [...CLUSTER_FLAGS, ...COLLECTION_FLAGS, ...liveOnly]);
    if (stray.length > 0)
      throw new InputError(
        `${stray.join(', ')} ${stray.length > 1 ? 'apply' : 'applies'} to a live cluster, not to --snapshot`,
      );
    return { kind: 'snapshot', path };
  }
  return { kind: 'live', live: { ...(await clusterAccess(argv)), ...probeSettings(argv) } };
}
