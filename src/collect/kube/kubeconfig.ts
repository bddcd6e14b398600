// Cluster access the way kubectl resolves it: --kubeconfig, else every file in $KUBECONFIG merged
// (first file to define a name wins, first current-context wins; missing files are skipped), else
// ~/.kube/config, else the in-cluster service account. Then --context, --cluster, --user and
// -n/--namespace override. Rules from client-go tools/clientcmd/loader.go (ClientConfigLoadingRules
// .Load) and merged_client_builder.go. Unlike client-node's loadFromDefault, which throws on a
// duplicate name and falls back to http://localhost:8080 when nothing is configured, every gap
// here is a ClusterError that says what to fix.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { ClusterError, InputError } from '../../lib/errors.ts';

export interface ClusterAccessOptions {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  /** kubectl syntax: "0" (no limit), "30s", "1m30s", "500ms", or bare seconds. */
  requestTimeout?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: Record<string, string | undefined>;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount for the in-cluster config (tests). */
  inClusterRoot?: string;
}

export interface ClusterAccess {
  /** client-node's config with the chosen context current; used for TLS, auth and exec. */
  kc: KubeConfig;
  contextName: string;
  clusterName: string;
  userName: string;
  server: string;
  /** -n, else the context's namespace, else "default". */
  namespace: string;
  /** 0 means no limit. */
  requestTimeoutMs: number;
  /** Where the configuration came from, for error messages. */
  source: string;
}

/** Used when --request-timeout is not given, so that a server that never answers is an error, not a hang. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (time.ParseDuration) or bare seconds, as kubectl's --request-timeout does. */
export function parseRequestTimeout(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (t === '' || pos !== t.length) {
    throw new InputError(
      `invalid --request-timeout ${JSON.stringify(text)}: use a duration such as 30s, 1m or 500ms (0 = no limit)`,
    );
  }
  return Math.round(total);
}

interface LoadedFile {
  path: string;
  kc: KubeConfig;
}

function loadFile(path: string): LoadedFile {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ClusterError(
      `cannot read kubeconfig ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  // Relative certificate paths are relative to the file that names them (clientcmd ResolvePaths).
  kc.makePathsAbsolute(dirname(path));
  return { path, kc };
}

/** kubectl's merge: the first file to define a name wins; the first current-context wins. */
export function mergeKubeconfigs(files: readonly LoadedFile[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let currentContext = '';
  for (const { kc } of files) {
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (currentContext === '' && kc.getCurrentContext()) currentContext = kc.getCurrentContext();
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  });
  return merged;
}

function loadConfigFiles(
  opts: ClusterAccessOptions,
  env: Record<string, string | undefined>,
): { kc: KubeConfig; source: string } | undefined {
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig))
      throw new ClusterError(`kubeconfig ${opts.kubeconfig} (--kubeconfig) does not exist`);
    return { kc: mergeKubeconfigs([loadFile(opts.kubeconfig)]), source: opts.kubeconfig };
  }
  const list = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  if (list.length > 0) {
    const present = [...new Set(list)].filter((p) => existsSync(p));
    if (present.length === 0) {
      throw new ClusterError(
        `none of the files in KUBECONFIG exists (${list.join(delimiter)}); point KUBECONFIG or --kubeconfig at your cluster's kubeconfig`,
      );
    }
    return { kc: mergeKubeconfigs(present.map(loadFile)), source: `KUBECONFIG=${list.join(delimiter)}` };
  }
  const home = env['HOME'] ?? homedir();
  const def = join(home, '.kube', 'config');
  if (existsSync(def)) return { kc: mergeKubeconfigs([loadFile(def)]), source: def };
  return undefined;
}

function loadInCluster(opts: ClusterAccessOptions, env: Record<string, string | undefined>): KubeConfig | undefined {
  const root = opts.inClusterRoot ?? '';
  const tokenPath = `${root}/var/run/secrets/kubernetes.io/serviceaccount/token`;
  if (!env['KUBERNETES_SERVICE_HOST'] || !env['KUBERNETES_SERVICE_PORT'] || !existsSync(tokenPath)) return undefined;
  const kc = new KubeConfig();
  // client-node reads the host and port from process.env; hand it ours for the call.
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
  process.env['KUBERNETES_SERVICE_HOST'] = env['KUBERNETES_SERVICE_HOST'];
  process.env['KUBERNETES_SERVICE_PORT'] = env['KUBERNETES_SERVICE_PORT'];
  try {
    kc.loadFromCluster(root);
  } finally {
    for (const [k, v] of [
      ['KUBERNETES_SERVICE_HOST', saved.host],
      ['KUBERNETES_SERVICE_PORT', saved.port],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  // The namespace file may end in a newline.
  const contexts = kc
    .getContexts()
    .map((c) => (typeof c.namespace === 'string' ? { ...c, namespace: c.namespace.trim() } : c));
  kc.loadFromOptions({
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts,
    currentContext: kc.getCurrentContext(),
  });
  return kc;
}

/** Resolves the kubeconfig and flags into one ready-to-use access, or says exactly what is missing. */
export function loadClusterAccess(opts: ClusterAccessOptions = {}): ClusterAccess {
  const env = opts.env ?? process.env;
  const requestTimeoutMs =
    opts.requestTimeout === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : parseRequestTimeout(opts.requestTimeout);
  let loaded = loadConfigFiles(opts, env);
  if (loaded === undefined) {
    const inCluster = loadInCluster(opts, env);
    if (inCluster === undefined) {
      throw new ClusterError(
        'no kubeconfig found (KUBECONFIG is unset, ~/.kube/config does not exist, and this is not a pod with a service account); pass --kubeconfig or set KUBECONFIG',
      );
    }
    loaded = { kc: inCluster, source: 'the in-cluster service account' };
  }
  const { kc, source } = loaded;

  const contextName = opts.context ?? kc.getCurrentContext() ?? '';
  const known = kc.getContexts().map((c) => c.name);
  let ctx: Context | undefined;
  if (contextName !== '') {
    ctx = kc.getContexts().find((c) => c.name === contextName);
    if (ctx === undefined) {
      throw new ClusterError(
        `context "${contextName}" does not exist in ${source}${known.length > 0 ? ` (contexts: ${known.join(', ')})` : ''}; pick one with --context`,
      );
    }
  } else if (opts.cluster === undefined) {
    throw new ClusterError(
      `${source} sets no current-context; pick one with --context${known.length > 0 ? ` (contexts: ${known.join(', ')})` : ''}`,
    );
  }
  const clusterName = opts.cluster ?? ctx?.cluster ?? '';
  const cluster = kc.getClusters().find((c) => c.name === clusterName);
  if (cluster === undefined) {
    throw new ClusterError(
      `cluster "${clusterName}"${opts.cluster === undefined ? ` (named by context "${contextName}")` : ''} does not exist in ${source}`,
    );
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new ClusterError(
      `cluster "${clusterName}" in ${source} has no valid server URL (${JSON.stringify(cluster.server)})`,
    );
  }
  const userName = opts.user ?? ctx?.user ?? '';
  if (opts.user !== undefined && !kc.getUsers().some((u) => u.name === opts.user)) {
    throw new ClusterError(`user "${opts.user}" (--user) does not exist in ${source}`);
  }
  const effectiveName = contextName === '' ? `${clusterName}/${userName}` : contextName;
  const namespace = opts.namespace ?? (ctx?.namespace || 'default');
  const effective: Context = { name: effectiveName, cluster: clusterName, user: userName, namespace };
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.getClusters(),
    users: kc.getUsers(),
    contexts: [...kc.getContexts().filter((c) => c.name !== effectiveName), effective],
    currentContext: effectiveName,
  });
  return {
    kc: out,
    contextName: effectiveName,
    clusterName,
    userName,
    server: cluster.server,
    namespace,
    requestTimeoutMs,
    source,
  };
}
