// `kubectl netcheck externalip [SERVICE]`: the externalIP audit, and with --from a LAN host's view.
import { analysisContext } from '../../checks/context.ts';
import { externalIpQuery } from '../../checks/queries/externalip.ts';
import { requireIpv4 } from '../../checks/resolve.ts';
import { InputError } from '../../lib/errors.ts';
import { loadModel } from '../analysis-source.ts';
import type { NetcheckCommand } from '../command.ts';
import { emitReport } from '../emit.ts';
import { withNamespaceOption } from '../options/cluster.ts';
import { analysisFlags } from '../options/analysis.ts';
import { withReportOptions } from '../options/report.ts';
import { withSourceOptions } from '../options/source.ts';
import { nodeNameFlag, text } from '../options/values.ts';

export const externalIpCommand: NetcheckCommand = {
  command: 'externalip [service]',
  describe:
    'Audit Service externalIPs (node, API server and etcd addresses, cluster networks, unrouted) and, with --from, trace a LAN host to them',
  builder: (y) =>
    withSourceOptions(
      withReportOptions(
        withNamespaceOption(
          y
            .positional('service', { type: 'string', describe: 'Only this Service ([namespace/]name)' })
            .option('all-namespaces', {
              alias: 'A',
              type: 'boolean',
              default: false,
              describe: 'Every namespace (default: -n, or "default"); not with SERVICE',
            })
            .option('from', {
              type: 'string',
              requiresArg: true,
              describe: 'A LAN host: trace it to every audited externalIP and port',
            })
            .option('via', {
              type: 'string',
              requiresArg: true,
              describe: 'With --from: the node the LAN router sends the externalIPs to',
            }),
        ),
        true,
      ),
    )
      .example('kubectl netcheck externalip -A', 'Audit every externalIP in the cluster')
      .example(
        'kubectl netcheck externalip shop/frontend --from 192.168.1.50',
        'Does the LAN host reach the Service, and through which node?',
      ),
  plan: async (argv) => {
    const service = text('SERVICE', argv['service']);
    const all = argv['all-namespaces'] === true;
    if (service !== undefined && all)
      throw new InputError('-A audits every namespace; with SERVICE, name its namespace in it (namespace/name)');
    if (all && argv['namespace'] !== undefined) throw new InputError('-A audits every namespace: -n does not apply');
    const fromFlag = text('--from', argv['from']);
    const from = fromFlag === undefined ? undefined : requireIpv4('--from', fromFlag);
    const via = nodeNameFlag('--via', argv['via']);
    if (via !== undefined && from === undefined)
      throw new InputError('--via needs --from (the LAN host whose router sends the externalIPs to that node)');
    const { namespace: ns, style, source } = await analysisFlags(argv);
    return async () => {
      const model = await loadModel(source);
      emitReport(
        externalIpQuery(analysisContext(model), {
          namespace: ns,
          allNamespaces: all,
          ...(service !== undefined ? { service } : {}),
          ...(from !== undefined ? { from } : {}),
          ...(via !== undefined ? { via } : {}),
        }),
        style,
      );
    };
  },
};
