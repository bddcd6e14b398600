// `kubectl netcheck externalip [SERVICE]`: the externalIP audit, and with --from a LAN host's view.
import type { Argv, CommandModule } from 'yargs';
import { analysisContext } from '../../checks/context.ts';
import { externalIpQuery } from '../../checks/queries/externalip.ts';
import { requireIpv4 } from '../../checks/resolve.ts';
import { defaultNamespace, loadModel } from '../analysis-source.ts';
import { emitReport } from '../emit.ts';
import type { GlobalArgs } from '../global-options.ts';

interface ExternalIpArgs extends GlobalArgs {
  service?: string;
  'all-namespaces': boolean;
  from?: string;
  via?: string;
  'all-branches': boolean;
}

export const externalIpCommand: CommandModule<GlobalArgs, ExternalIpArgs> = {
  command: 'externalip [service]',
  describe:
    'Audit Service externalIPs (node, API server and etcd addresses, cluster networks, unrouted) and, with --from, trace a LAN host to them',
  builder: (y) =>
    y
      .positional('service', { type: 'string', describe: 'Only this Service ([namespace/]name)' })
      .option('all-namespaces', {
        alias: 'A',
        type: 'boolean',
        default: false,
        describe: 'Every namespace (default: -n, or "default")',
      })
      .option('from', { type: 'string', describe: 'A LAN host: trace it to every audited externalIP and port' })
      .option('via', { type: 'string', describe: 'With --from: the node the LAN router sends the externalIPs to' })
      .option('all-branches', {
        type: 'boolean',
        default: false,
        describe: 'Show every load-balancing branch in the table',
      })
      .example('kubectl netcheck externalip -A', 'Audit every externalIP in the cluster')
      .example(
        'kubectl netcheck externalip shop/frontend --from 192.168.1.50',
        'Does the LAN host reach the Service, and through which node?',
      ) as unknown as Argv<ExternalIpArgs>,
  handler: async (argv) => {
    if (argv.from !== undefined) requireIpv4('--from', argv.from);
    const model = await loadModel(argv);
    emitReport(
      externalIpQuery(analysisContext(model), {
        namespace: defaultNamespace(argv),
        allNamespaces: argv['all-namespaces'],
        ...(argv.service !== undefined ? { service: argv.service } : {}),
        ...(argv.from !== undefined ? { from: argv.from } : {}),
        ...(argv.via !== undefined ? { via: argv.via } : {}),
      }),
      argv,
    );
  },
};
