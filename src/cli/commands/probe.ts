// `kubectl netcheck probe --local`: run the probe on this host and print its snapshot entry.
// For nodes reached over SSH (`ssh node kubectl-netcheck probe --local > node.json`) and for
// the lab, where it runs inside network namespaces.
import type { CommandModule } from 'yargs';
import { probeLocal } from '../../collect/local-probe.ts';
import { InputError } from '../../lib/errors.ts';
import type { GlobalArgs } from '../global-options.ts';

interface ProbeArgs extends GlobalArgs {
  local: boolean;
  root?: string;
}

export const probeCommand: CommandModule<GlobalArgs, ProbeArgs> = {
  command: 'probe',
  describe:
    "Read this host's network state (routes, rules, sysctls, iptables, ...) and print it as a snapshot host entry",
  builder: (y) =>
    y
      .option('local', {
        type: 'boolean',
        default: false,
        describe: 'Probe the host this command runs on (required: the live probe runs in pods)',
      })
      .option('root', { type: 'string', describe: 'Read CNI and flannel files below this directory instead of /' })
      .example('kubectl netcheck probe --local > node-a.json', "Record this node's state")
      .example('ssh node-a kubectl-netcheck probe --local > node-a.json', 'Record a node reached over SSH'),
  handler: async (argv) => {
    if (!argv.local)
      throw new InputError('probe needs --local: it reads the host it runs on (use `collect` for a cluster)');
    const entry = await probeLocal(argv.root !== undefined ? { root: argv.root } : {});
    process.stdout.write(`${JSON.stringify(entry, null, 1)}\n`);
  },
};
