// The kubectl-style flags that say which cluster to talk to, and -n for the names on the command line.
import type { Argv } from 'yargs';
import type { ClusterAccessOptions } from '../../collect/kube/kubeconfig.ts';
import type { Args } from '../command.ts';
import { namespaceName, text } from './values.ts';

export const CLUSTER_FLAGS = ['kubeconfig', 'context', 'cluster', 'user', 'request-timeout'] as const;

export function withClusterOptions(y: Argv): Argv {
  return y
    .option('kubeconfig', {
      type: 'string',
      requiresArg: true,
      describe: 'Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)',
    })
    .option('context', { type: 'string', requiresArg: true, describe: 'The kubeconfig context to use' })
    .option('cluster', { type: 'string', requiresArg: true, describe: 'The kubeconfig cluster to use' })
    .option('user', { type: 'string', requiresArg: true, describe: 'The kubeconfig user to use' })
    .option('request-timeout', {
      type: 'string',
      requiresArg: true,
      describe: 'Time to wait for one API request (e.g. 10s, 1m; 0 = no limit; default 30s)',
    })
    .group([...CLUSTER_FLAGS], 'Cluster access:');
}

export function withNamespaceOption(y: Argv): Argv {
  return y.option('namespace', {
    alias: 'n',
    type: 'string',
    requiresArg: true,
    describe: 'Namespace of the pods and Services named on the command line (default: "default")',
  });
}

/** -n, checked; undefined when not given. */
export function namespaceFlag(argv: Args): string | undefined {
  const ns = text('-n/--namespace', argv['namespace']);
  return ns === undefined ? undefined : namespaceName('-n/--namespace', ns);
}

/** The cluster flags, checked. */
export async function clusterAccess(argv: Args): Promise<ClusterAccessOptions> {
  const o: ClusterAccessOptions = {};
  const kubeconfig = text('--kubeconfig', argv['kubeconfig']);
  if (kubeconfig !== undefined) o.kubeconfig = kubeconfig;
  const context = text('--context', argv['context']);
  if (context !== undefined) o.context = context;
  const cluster = text('--cluster', argv['cluster']);
  if (cluster !== undefined) o.cluster = cluster;
  const user = text('--user', argv['user']);
  if (user !== undefined) o.user = user;
  const namespace = namespaceFlag(argv);
  if (namespace !== undefined) o.namespace = namespace;
  const timeout = text('--request-timeout', argv['request-timeout']);
  if (timeout !== undefined) {
    // The parser the client uses (kubectl's syntax); loaded only when the flag is given.
    const { parseRequestTimeout } = await import('../../collect/kube/kubeconfig.ts');
    parseRequestTimeout(timeout);
    o.requestTimeout = timeout;
  }
  return o;
}
