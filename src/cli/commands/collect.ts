// `kubectl netcheck collect -o FILE`: reads the cluster and probes its nodes into a snapshot file
// for offline analysis and bug reports; `--dry-run` prints what would be created instead.
import type { Argv, CommandModule } from 'yargs';
// client-node is heavy to load: the live source is imported only when a command needs it.
import type { LiveOptions } from '../../collect/live-source.ts';
import { InputError } from '../../lib/errors.ts';
import { encodeSnapshot, writeSnapshot } from '../../snapshot/io.ts';
import type { Snapshot } from '../../snapshot/types.ts';
import type { GlobalArgs } from '../global-options.ts';
import { clusterAccessOptions } from './cluster-args.ts';
import { probeProgress } from '../progress.ts';

interface CollectArgs extends Omit<GlobalArgs, 'output'> {
  output?: string;
  nodes?: string[];
  'dry-run': boolean;
  'probe-namespace'?: string;
  'image-pull-secret'?: string[];
  'command-timeout': number;
}

/** The global -o is a format (table|json|yaml); here it names the file, as kubectl cp/debug users expect. */
function freeOutputOption<T>(y: Argv<T>): Argv<T> {
  // yargs keeps a global option's choices and default in getOptions(), absent from its typings.
  const o = (
    y as unknown as { getOptions(): { choices: Record<string, unknown>; default: Record<string, unknown> } }
  ).getOptions();
  delete o.choices['output'];
  delete o.default['output'];
  return y;
}

const splitList = (v: string[] | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .flatMap((x) => String(x).split(','))
        .map((x) => x.trim())
        .filter((x) => x !== '');

export function liveOptions(argv: CollectArgs): LiveOptions {
  const o: LiveOptions = {
    ...clusterAccessOptions(argv),
    concurrency: argv.concurrency,
    timeoutSeconds: argv.timeout,
    commandTimeoutSeconds: argv['command-timeout'],
  };
  const nodes = splitList(argv.nodes);
  if (nodes !== undefined) o.nodes = nodes;
  if (argv.image !== undefined) o.image = argv.image;
  const secrets = splitList(argv['image-pull-secret']);
  if (secrets !== undefined) o.imagePullSecrets = secrets;
  if (argv['probe-namespace'] !== undefined) o.probeNamespace = argv['probe-namespace'];
  return o;
}

export const collectCommand: CommandModule<GlobalArgs, CollectArgs> = {
  command: 'collect',
  describe: 'Read the cluster and probe its nodes into a snapshot file (for offline analysis and bug reports)',
  builder: (y) =>
    freeOutputOption(y)
      .option('output', { alias: 'o', type: 'string', describe: 'Snapshot file to write (.gz: gzipped; -: stdout)' })
      .option('nodes', {
        type: 'string',
        array: true,
        describe: 'Probe only these nodes (comma-separated or repeated; default: all)',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'Print the namespace and probe pod manifests as YAML, and create nothing',
      })
      .option('probe-namespace', {
        type: 'string',
        describe: "Run probe pods in this existing namespace (it must allow privileged pods) instead of netcheck's own",
      })
      .option('image-pull-secret', {
        type: 'string',
        array: true,
        describe: 'Image pull secret for the probe image (must exist in the probe namespace)',
      })
      .option('command-timeout', {
        type: 'number',
        default: 60,
        describe: 'Seconds one probe command may run on a node',
      })
      .example('kubectl netcheck collect -o snap.json.gz', 'Snapshot the whole cluster')
      .example('kubectl netcheck collect --dry-run --nodes node-a', 'Show what would run, for a security review')
      .example(
        'kubectl netcheck collect -o snap.json --image registry.local/netshoot:v0.13',
        'Air-gapped: use a mirrored probe image',
      ) as unknown as Argv<CollectArgs>,
  handler: async (argv) => {
    const opts = liveOptions(argv);
    const { collectLive, dryRunManifests, dryRunNodes, PartialCollection } = await import(
      '../../collect/live-source.ts'
    );
    if (argv['dry-run']) {
      process.stdout.write(dryRunManifests(await dryRunNodes(opts), opts));
      return;
    }
    if (argv.output === undefined || argv.output === '')
      throw new InputError('collect needs -o FILE (or -o - for stdout)');
    const progress = await probeProgress();
    if (progress.onProgress !== undefined) opts.onProgress = progress.onProgress;
    let snap: Snapshot;
    let failure: Error | undefined;
    try {
      snap = await collectLive(opts).finally(() => progress.stop());
    } catch (e) {
      // No node probed: the objects alone are still worth a snapshot; the exit status says it failed.
      if (!(e instanceof PartialCollection)) throw e;
      snap = e.snapshot;
      failure = e;
    }
    if (argv.output === '-') process.stdout.write(encodeSnapshot(snap, false));
    else await writeSnapshot(argv.output, snap);
    for (const w of snap.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
    const hosts = Object.values(snap.hosts);
    const failed = hosts.filter((h) => h.errors['probe'] !== undefined).length;
    const objects = Object.values(snap.objects).reduce((n, l) => n + l.length, 0);
    process.stderr.write(
      `wrote ${argv.output === '-' ? 'the snapshot' : argv.output}: ${hosts.length - failed} node(s) probed, ${objects} objects\n`,
    );
    if (failure !== undefined) throw failure;
    if (failed > 0) {
      process.stderr.write(
        `error: ${failed} of ${hosts.length} node(s) could not be probed (see the warnings above); the snapshot holds the others\n`,
      );
      process.exitCode = 3;
    }
  },
};
