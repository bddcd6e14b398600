// `kubectl netcheck collect -o FILE`: reads the cluster and probes its nodes into a snapshot file
// for offline analysis and bug reports; `--dry-run` prints what would be created instead.
import { InputError } from '../../lib/errors.ts';
import { encodeSnapshot, writeSnapshot, writesV2 } from '../../snapshot/io.ts';
import { streamedV2 } from '../streamed-snapshot.ts';
import type { Snapshot } from '../../snapshot/types.ts';
import type { NetcheckCommand } from '../command.ts';
import { clusterAccess, withClusterOptions } from '../options/cluster.ts';
import { nodesFlag, probeSettings, withCollectionOptions, withNodesOption } from '../options/collection.ts';
import { writablePath } from '../options/output-file.ts';
import { text } from '../options/values.ts';
import { probeProgress } from '../progress.ts';
import { activeStep } from '../active-step.ts';
import type { LiveSettings } from '../analysis-source.ts';
import { analysisContext } from '../../checks/context.ts';
import { doctor } from '../../checks/queries/doctor.ts';
import { buildModel } from '../../model/model.ts';

/** collect --dry-run --active: the probes doctor --active would send, planned from a read-only collection. */
async function printActivePlan(opts: LiveSettings & { nodes?: string[] }): Promise<void> {
  const { collectLive } = await import('../../collect/live-source.ts');
  const ctx = analysisContext(buildModel(await collectLive(opts), { consume: true }));
  await activeStep(ctx, doctor(ctx), 'dry-run', { kind: 'live', live: opts });
}

export const collectCommand: NetcheckCommand = {
  command: 'collect',
  describe: 'Read the cluster and probe its nodes into a snapshot file (for offline analysis and bug reports)',
  builder: (y) =>
    withCollectionOptions(
      withClusterOptions(
        withNodesOption(
          y
            .option('output', {
              alias: 'o',
              type: 'string',
              requiresArg: true,
              describe: 'Snapshot file to write (.gz: gzipped; -: stdout)',
            })
            .option('objects-only', {
              type: 'boolean',
              default: false,
              describe: "Read the cluster's objects and probe no node (no probe pod is created)",
            })
            .option('dry-run', {
              type: 'boolean',
              default: false,
              describe: 'Print the namespace and probe pod manifests as YAML (and the script), and create nothing',
            })
            .option('active', {
              type: 'boolean',
              describe:
                'With --dry-run: also list every probe doctor --active would send (the nodes are read, with the read-only probe, to plan them; nothing is sent)',
            }),
        ),
      ),
    )
      .example('kubectl netcheck collect -o snap.json.gz', 'Snapshot the whole cluster')
      .example('kubectl netcheck collect --dry-run --nodes node-a', 'Show what would run, for a security review')
      .example(
        'kubectl netcheck collect -o snap.json --image registry.local/netshoot:v0.13',
        'Air-gapped: use a mirrored probe image',
      ),
  plan: async (argv) => {
    const dryRun = argv['dry-run'] === true;
    const outFlag = text('-o/--output', argv['output']);
    if (dryRun && outFlag !== undefined) throw new InputError('--dry-run prints to stdout: -o does not apply');
    if (!dryRun && outFlag === undefined) throw new InputError('collect needs -o FILE (or -o - for stdout)');
    const out = outFlag === undefined ? undefined : writablePath('-o', outFlag);
    const objectsOnly = argv['objects-only'] === true;
    const active = argv['active'] === true;
    if (active && !dryRun)
      throw new InputError('collect --active only lists the probes, with --dry-run: doctor --active sends them');
    if (active && objectsOnly)
      throw new InputError("--active plans from the nodes' state: --objects-only does not apply");
    if (objectsOnly && argv['nodes'] !== undefined)
      throw new InputError('--objects-only probes no node: --nodes does not apply');
    const nodes = objectsOnly ? [] : nodesFlag(argv);
    const opts = { ...(await clusterAccess(argv)), ...probeSettings(argv), ...(nodes !== undefined ? { nodes } : {}) };
    return async () => {
      // client-node is heavy to load: the live source is imported only when a command runs.
      const { collectLive, dryRunManifests, dryRunNodes, PartialCollection } = await import(
        '../../collect/live-source.ts'
      );
      if (out === undefined) {
        process.stdout.write(dryRunManifests(await dryRunNodes(opts), opts));
        if (active) await printActivePlan(opts);
        return;
      }
      const progress = await probeProgress();
      const stream = out !== '-' && writesV2(out) ? await streamedV2(out) : undefined;
      let snap: Snapshot;
      let failure: Error | undefined;
      try {
        snap = await collectLive({
          ...opts,
          ...(progress.onProgress !== undefined ? { onProgress: progress.onProgress } : {}),
          ...(stream?.options ?? {}),
        }).finally(() => progress.stop());
      } catch (e) {
        // No node probed: the objects alone are still worth a snapshot; the exit status says it failed.
        if (!(e instanceof PartialCollection)) {
          await stream?.abandon();
          throw e;
        }
        snap = e.snapshot;
        failure = e;
      }
      if (stream !== undefined) await stream.finish(snap);
      else if (out === '-') process.stdout.write(encodeSnapshot(snap, false));
      else await writeSnapshot(out, snap);
      for (const w of snap.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      const hosts = Object.values(snap.hosts);
      const failed = hosts.filter((h) => h.errors['probe'] !== undefined).length;
      const objects = Object.values(snap.objects).reduce((n, l) => n + l.length, 0);
      process.stderr.write(
        `wrote ${out === '-' ? 'the snapshot' : out}: ${hosts.length - failed} node(s) probed, ${objects} objects\n`,
      );
      if (failure !== undefined) throw failure;
      if (failed > 0) {
        process.stderr.write(
          `error: ${failed} of ${hosts.length} node(s) could not be probed (see the warnings above); the snapshot holds the others\n`,
        );
        process.exitCode = 3;
      }
    };
  },
};
