// The kubectl-style cluster flags, as the options of src/collect/kube/kubeconfig.ts.
import type { ClusterAccessOptions } from '../../collect/kube/kubeconfig.ts';
import type { GlobalArgs } from '../global-options.ts';

export function clusterAccessOptions(
  argv: Pick<GlobalArgs, 'kubeconfig' | 'context' | 'cluster' | 'user' | 'namespace' | 'request-timeout'>,
): ClusterAccessOptions {
  const o: ClusterAccessOptions = {};
  if (argv.kubeconfig !== undefined) o.kubeconfig = argv.kubeconfig;
  if (argv.context !== undefined) o.context = argv.context;
  if (argv.cluster !== undefined) o.cluster = argv.cluster;
  if (argv.user !== undefined) o.user = argv.user;
  if (argv.namespace !== undefined) o.namespace = argv.namespace;
  if (argv['request-timeout'] !== undefined) o.requestTimeout = argv['request-timeout'];
  return o;
}
