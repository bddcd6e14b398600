// `kubectl netcheck doctor`: every cluster-wide check on every node.
import type { Argv, CommandModule } from 'yargs';
import { analysisContext } from '../../checks/context.ts';
import { NODE_CHECKS } from '../../checks/node/index.ts';
import { doctor } from '../../checks/queries/doctor.ts';
import { InputError } from '../../lib/errors.ts';
import { loadModel } from '../analysis-source.ts';
import { emitReport } from '../emit.ts';
import type { GlobalArgs } from '../global-options.ts';

interface DoctorArgs extends GlobalArgs {
  check?: string[];
  list: boolean;
  nodes?: string[];
}

export const doctorCommand: CommandModule<GlobalArgs, DoctorArgs> = {
  command: 'doctor',
  describe:
    'Run every cluster-wide check on every node: tunnels, rp_filter, forwarding, routes, pod subnets, externalIPs, MTU, ...',
  builder: (y) =>
    y
      .option('check', { type: 'string', array: true, describe: 'Run only these checks (see --list)' })
      .option('list', { type: 'boolean', default: false, describe: 'List the checks and exit' })
      .option('nodes', {
        type: 'string',
        array: true,
        describe: 'Probe only these nodes (live cluster; comma-separated or repeated)',
      })
      .example('kubectl netcheck doctor', 'Check the whole cluster')
      .example('kubectl netcheck doctor --snapshot snap.json.gz -o json', 'Check a saved snapshot, for a machine')
      .example(
        'kubectl netcheck doctor --check tunnel-next-hop --check rp-filter',
        'Only the tunnel checks',
      ) as unknown as Argv<DoctorArgs>,
  handler: async (argv) => {
    if (argv.list) {
      for (const c of NODE_CHECKS) process.stdout.write(`${c.name.padEnd(18)} ${c.describe}\n`);
      return;
    }
    const only = argv.check
      ?.flatMap((c) => String(c).split(','))
      .map((c) => c.trim())
      .filter((c) => c !== '');
    const unknown = only?.filter((c) => !NODE_CHECKS.some((x) => x.name === c)) ?? [];
    if (unknown.length > 0) throw new InputError(`no check ${unknown.join(', ')} (see kubectl netcheck doctor --list)`);
    const nodes = argv.nodes
      ?.flatMap((n) => String(n).split(','))
      .map((n) => n.trim())
      .filter((n) => n !== '');
    const model = await loadModel(argv, nodes !== undefined ? { nodes: () => nodes } : {});
    emitReport(doctor(analysisContext(model), only), argv);
  },
};
