// `kubectl netcheck lan LAN_IP TARGET`: a host outside the cluster and a pod or Service, both ways.
import type { Argv, CommandModule } from 'yargs';
import { clusterInfo } from '../../model/cluster.ts';
import { analysisContext } from '../../checks/context.ts';
import { flowProtocol } from '../../checks/flow/packet-spec.ts';
import { lanQuery } from '../../checks/queries/lan.ts';
import { requireIpv4, resolveLanTarget } from '../../checks/resolve.ts';
import { defaultNamespace, loadModel } from '../analysis-source.ts';
import { emitReport } from '../emit.ts';
import type { GlobalArgs } from '../global-options.ts';

interface LanArgs extends GlobalArgs {
  lan: string;
  target: string;
  via?: string;
  port?: number;
  protocol?: string;
  'all-branches': boolean;
}

export const lanCommand: CommandModule<GlobalArgs, LanArgs> = {
  command: 'lan <lan> <target>',
  describe:
    'A LAN host and a pod or Service, both ways: where it enters, every rp_filter on the way, the way back, and the source address the LAN host sees',
  builder: (y) =>
    y
      .positional('lan', {
        type: 'string',
        demandOption: true,
        describe: 'IPv4 address of the host outside the cluster',
      })
      .positional('target', {
        type: 'string',
        demandOption: true,
        describe:
          'A pod ([namespace/]name or IP) or a Service (svc/[namespace/]name, or its externalIP / load-balancer IP)',
      })
      .option('via', {
        type: 'string',
        describe: 'The node the LAN router sends the target network to (its static route or BGP next hop)',
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
        'kubectl netcheck lan 192.168.1.50 default/web-0 --via node-c --port 80',
        'The LAN router sends the pod network to node-c: does 192.168.1.50 reach web-0, and back?',
      )
      .example(
        'kubectl netcheck lan 192.168.1.20 default/api-0 --port 3306',
        'Which source address does the database at 192.168.1.20 see for api-0?',
      )
      .example(
        'kubectl netcheck lan 192.168.1.50 svc/shop/frontend --port 443',
        'A LAN host to a Service externalIP',
      ) as unknown as Argv<LanArgs>,
  handler: async (argv) => {
    requireIpv4('LAN host', argv.lan);
    const protocol = flowProtocol(argv.protocol, argv.port);
    const ns = defaultNamespace(argv);
    const model = await loadModel(argv, {
      nodes: (objects) => {
        const c = clusterInfo(objects);
        const t = resolveLanTarget(c, argv.target, ns);
        const nodes = t.kind === 'pod' ? [t.pod.node] : [];
        if (t.kind === 'service') return undefined; // its backends and the node owning its address: probe them all
        return [...nodes, argv.via].filter((n): n is string => n !== undefined);
      },
    });
    emitReport(
      lanQuery(analysisContext(model), {
        lanHost: argv.lan,
        target: argv.target,
        namespace: ns,
        protocol,
        ...(argv.via !== undefined ? { via: argv.via } : {}),
        ...(argv.port !== undefined ? { port: argv.port } : {}),
      }),
      argv,
    );
  },
};
