// `kubectl netcheck pod-to-pod SRC DST`: can this pod reach that one, both ways, and if not why.
import type { Argv, CommandModule } from 'yargs';
import { clusterInfo } from '../../model/cluster.ts';
import { analysisContext } from '../../checks/context.ts';
import { flowProtocol } from '../../checks/flow/packet-spec.ts';
import { podToPod } from '../../checks/queries/pod-to-pod.ts';
import { resolvePod } from '../../checks/resolve.ts';
import { defaultNamespace, loadModel } from '../analysis-source.ts';
import { emitReport } from '../emit.ts';
import type { GlobalArgs } from '../global-options.ts';

interface PodToPodArgs extends GlobalArgs {
  src: string;
  dst: string;
  port?: number;
  protocol?: string;
  'all-branches': boolean;
}

export const podToPodCommand: CommandModule<GlobalArgs, PodToPodArgs> = {
  command: 'pod-to-pod <src> <dst>',
  describe: 'Trace a flow from one pod to another, both directions, and explain what stops it',
  builder: (y) =>
    y
      .positional('src', { type: 'string', demandOption: true, describe: 'Source pod: [namespace/]name or its IP' })
      .positional('dst', {
        type: 'string',
        demandOption: true,
        describe: 'Destination pod: [namespace/]name or its IP',
      })
      .option('port', { type: 'number', describe: 'Destination port (default protocol becomes tcp)' })
      .option('protocol', {
        type: 'string',
        choices: ['tcp', 'udp', 'icmp'],
        describe: 'Protocol (default: tcp with --port, else icmp echo)',
      })
      .option('all-branches', {
        type: 'boolean',
        default: false,
        describe: 'Show every load-balancing and multipath branch in the table',
      })
      .example(
        'kubectl netcheck pod-to-pod default/web-0 default/db-0 --port 5432',
        'Can web-0 open a connection to db-0?',
      )
      .example(
        'kubectl netcheck pod-to-pod 10.244.1.5 10.244.2.7 --snapshot snap.json',
        'By pod IP, on a saved snapshot',
      ) as unknown as Argv<PodToPodArgs>,
  handler: async (argv) => {
    const protocol = flowProtocol(argv.protocol, argv.port);
    const ns = defaultNamespace(argv);
    const model = await loadModel(argv, {
      nodes: (objects) => {
        const c = clusterInfo(objects);
        return [resolvePod(c, argv.src, ns).node, resolvePod(c, argv.dst, ns).node].filter(
          (n): n is string => n !== undefined,
        );
      },
    });
    const q = {
      source: argv.src,
      destination: argv.dst,
      namespace: ns,
      protocol,
      ...(argv.port !== undefined ? { port: argv.port } : {}),
    };
    emitReport(podToPod(analysisContext(model), q), argv);
  },
};
