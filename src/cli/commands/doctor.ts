// `kubectl netcheck doctor`: every cluster-wide check on every node.
import { analysisContext } from '../../checks/context.ts';
import { NODE_CHECKS } from '../../checks/node/index.ts';
import { doctor } from '../../checks/queries/doctor.ts';
import { collectYoungGarbage } from '../../lib/collect-garbage.ts';
import { InputError } from '../../lib/errors.ts';
import { loadModel } from '../analysis-source.ts';
import { type Args, type NetcheckCommand, type Work, given } from '../command.ts';
import { emitReport } from '../emit.ts';
import { printData } from '../print-data.ts';
import { CLUSTER_FLAGS } from '../options/cluster.ts';
import { COLLECTION_FLAGS, nodesFlag, withNodesOption } from '../options/collection.ts';
import { DATA_FORMATS, outputFormat } from '../options/output.ts';
import { reportStyle, withReportOptions } from '../options/report.ts';
import { activeMode, withActiveOptions } from '../options/active.ts';
import { activeStep } from '../active-step.ts';
import { sourceOf, withSourceOptions } from '../options/source.ts';
import { list } from '../options/values.ts';

function planList(argv: Args): Work {
  const stray = given(argv, ['check', 'nodes', 'snapshot', 'active', 'dry-run', ...CLUSTER_FLAGS, ...COLLECTION_FLAGS]);
  if (stray.length > 0) throw new InputError(`--list takes no ${stray.join(', ')}: it only lists the checks`);
  // A list of checks, not a report: a table, or data (-o wide and -o html have nothing to add).
  const format = outputFormat(argv, ['table', ...DATA_FORMATS] as const, 'table');
  return async () => {
    if (format === 'table') {
      for (const c of NODE_CHECKS) process.stdout.write(`${c.name.padEnd(18)} ${c.describe}\n`);
    } else
      printData(
        NODE_CHECKS.map((c) => ({ name: c.name, describe: c.describe })),
        format,
      );
  };
}

export const doctorCommand: NetcheckCommand = {
  command: 'doctor',
  describe:
    'Run every cluster-wide check on every node: tunnels, rp_filter, forwarding, routes, pod subnets, externalIPs, MTU, ...',
  builder: (y) =>
    withSourceOptions(
      withNodesOption(
        withActiveOptions(
          withReportOptions(
            y
              .option('check', {
                type: 'string',
                requiresArg: true,
                describe: 'Run only these checks (comma-separated or repeated; see --list)',
              })
              .option('list', { type: 'boolean', default: false, describe: 'List the checks and exit' }),
            false,
          ),
        ),
      ),
    )
      .example('kubectl netcheck doctor', 'Check the whole cluster')
      .example('kubectl netcheck doctor --snapshot snap.json.gz -o json', 'Check a saved snapshot, for a machine')
      .example('kubectl netcheck doctor --check tunnel-next-hop --check rp-filter', 'Only the tunnel checks')
      .example(
        'kubectl netcheck doctor --active',
        'Also send VXLAN/IPIP probes between every pair of nodes and capture them',
      ),
  plan: async (argv) => {
    if (argv['list'] === true) return planList(argv);
    const only = list('--check', argv['check']);
    const unknown = only?.filter((c) => !NODE_CHECKS.some((x) => x.name === c)) ?? [];
    if (unknown.length > 0) throw new InputError(`no check ${unknown.join(', ')} (see kubectl netcheck doctor --list)`);
    const nodes = nodesFlag(argv);
    const style = reportStyle(argv);
    const source = await sourceOf(argv, ['nodes']);
    const active = activeMode(argv, source);
    return async () => {
      const model = await loadModel(source, nodes !== undefined ? { nodes: () => nodes } : {});
      const ctx = analysisContext(model);
      // Each check's garbage collected as it goes where the runtime leaves it (the bun executable).
      const doc = doctor(ctx, only, { afterCheck: collectYoungGarbage });
      const merged = active === 'off' ? doc : await activeStep(ctx, doc, active, source);
      if (merged !== undefined) emitReport(merged, style);
    };
  },
};
