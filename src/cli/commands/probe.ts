// `kubectl netcheck probe --local`: run the probe on this host and print its snapshot entry.
// For nodes reached over SSH (`ssh node kubectl-netcheck probe --local > node.json`) and for
// the lab, where it runs inside network namespaces.
import { probeLocal } from '../../collect/local-probe.ts';
import { InputError } from '../../lib/errors.ts';
import type { NetcheckCommand } from '../command.ts';
import { DATA_FORMATS, outputFormat, withOutputOption } from '../options/output.ts';
import { text } from '../options/values.ts';
import { printData } from '../print-data.ts';

export const probeCommand: NetcheckCommand = {
  command: 'probe',
  describe:
    "Read this host's network state (routes, rules, sysctls, iptables, ...) and print it as a snapshot host entry",
  builder: (y) =>
    withOutputOption(
      y
        .option('local', {
          type: 'boolean',
          default: false,
          describe: 'Probe the host this command runs on (required: the live probe runs in pods)',
        })
        .option('root', {
          type: 'string',
          requiresArg: true,
          describe: 'Read CNI and flannel files below this directory instead of /',
        }),
      DATA_FORMATS,
      'json',
    )
      .example('kubectl netcheck probe --local > node-a.json', "Record this node's state")
      .example('ssh node-a kubectl-netcheck probe --local > node-a.json', 'Record a node reached over SSH'),
  plan: (argv) => {
    if (argv['local'] !== true)
      throw new InputError('probe needs --local: it reads the host it runs on (use `collect` for a cluster)');
    const root = text('--root', argv['root']);
    const format = outputFormat(argv, DATA_FORMATS, 'json');
    return async () => printData(await probeLocal(root !== undefined ? { root } : {}), format);
  },
};
