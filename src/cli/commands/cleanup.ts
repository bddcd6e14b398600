// `kubectl netcheck cleanup`: removes every probe pod netcheck left anywhere (a run killed with
// SIGKILL, a lost API server), and the namespace netcheck created for them.
import { ClusterError } from '../../lib/errors.ts';
import type { NetcheckCommand } from '../command.ts';
import { clusterAccess, withClusterOptions } from '../options/cluster.ts';
import { namespaceName, text } from '../options/values.ts';

export const cleanupCommand: NetcheckCommand = {
  command: 'cleanup',
  describe: 'Delete every netcheck probe pod left in the cluster, and the netcheck namespace',
  builder: (y) =>
    withClusterOptions(
      y.option('probe-namespace', {
        type: 'string',
        requiresArg: true,
        describe: 'The probe namespace was one you named: keep it (only its probe pods go)',
      }),
    )
      .example('kubectl netcheck cleanup', "Delete every probe pod, and netcheck's namespace")
      .example(
        'kubectl netcheck cleanup --probe-namespace netops --context prod',
        'Probe pods ran in a namespace you named: delete them, keep the namespace',
      ),
  plan: async (argv) => {
    const o = await clusterAccess(argv);
    const ns = text('--probe-namespace', argv['probe-namespace']);
    const opts = ns === undefined ? o : { ...o, probeNamespace: namespaceName('--probe-namespace', ns) };
    return async () => {
      const { cleanupProbes } = await import('../../collect/live-source.ts');
      const report = await cleanupProbes(opts);
      for (const p of report.deleted) process.stdout.write(`pod/${p} deleted\n`);
      if (report.namespaceDeleted !== undefined) process.stdout.write(`namespace/${report.namespaceDeleted} deleted\n`);
      if (report.deleted.length === 0 && report.namespaceDeleted === undefined)
        process.stdout.write('no netcheck probe pods found\n');
      if (report.failed.length > 0)
        throw new ClusterError(
          `could not delete ${report.failed.join(', ')}; check your access (delete pods) and retry`,
        );
    };
  },
};
