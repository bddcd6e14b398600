// Options every command accepts, as a kubectl user expects them.
import type { Argv } from 'yargs';

import type { OutputFormat } from '../report/render.ts';
import { OUTPUT_FORMATS } from '../report/render.ts';

export type { OutputFormat };

export interface GlobalArgs {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  'request-timeout'?: string;
  output: OutputFormat;
  snapshot?: string;
  image?: string;
  timeout: number;
  concurrency: number;
  color: boolean;
}

export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('kubeconfig', {
      type: 'string',
      describe: 'Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)',
      global: true,
    })
    .option('context', { type: 'string', describe: 'The kubeconfig context to use', global: true })
    .option('cluster', { type: 'string', describe: 'The kubeconfig cluster to use', global: true })
    .option('user', { type: 'string', describe: 'The kubeconfig user to use', global: true })
    .option('namespace', {
      alias: 'n',
      type: 'string',
      describe: 'Namespace of the pods and Services named on the command line',
      global: true,
    })
    .option('request-timeout', {
      type: 'string',
      describe: 'Time to wait for one API request (e.g. 10s, 1m; 0 = no limit)',
      global: true,
    })
    .option('output', {
      alias: 'o',
      choices: OUTPUT_FORMATS,
      default: 'table' as OutputFormat,
      describe: 'Output format: table (one line per node), wide (every hop), json, yaml, html (a drawing of the path)',
      global: true,
    })
    .option('snapshot', {
      type: 'string',
      describe: 'Analyse this snapshot file instead of the live cluster',
      global: true,
    })
    .option('image', { type: 'string', describe: 'Image of the probe pods', global: true })
    .option('timeout', {
      type: 'number',
      default: 120,
      describe: 'Seconds to wait for probe pods before giving up on a node',
      global: true,
    })
    .option('concurrency', { type: 'number', default: 20, describe: 'Probe pods started at once', global: true })
    .option('color', {
      type: 'boolean',
      default: true,
      describe: 'Colour on a terminal (--no-color, or NO_COLOR, turns it off)',
      global: true,
    }) as unknown as Argv<T & GlobalArgs>;
}
