// The real Kubernetes v1.20.2 cluster of shared/k8s (control plane + one real node, all on
// loopback): found, started once, stopped with --wipe. Admin work goes through kubectl with the
// admin kubeconfig; netcheck itself runs as a ServiceAccount with a TokenRequest token.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../apiserver/run-cli.ts';

export interface SharedK8s {
  dir?: string;
  searched: string[];
}

/** NETCHECK_K8S_SHARED, else <repo>/../shared/k8s, else /work/shared/k8s: the first with up.sh. */
export function locateSharedK8s(env: NodeJS.ProcessEnv = process.env): SharedK8s {
  const candidates = [
    ...(env['NETCHECK_K8S_SHARED'] ? [resolve(env['NETCHECK_K8S_SHARED'])] : []),
    resolve(REPO_ROOT, '..', 'shared', 'k8s'),
    '/work/shared/k8s',
  ];
  const searched = [...new Set(candidates)];
  const dir = searched.find((d) => existsSync(join(d, 'up.sh')) && existsSync(join(d, 'down.sh')));
  return dir === undefined ? { searched } : { dir, searched };
}

/** Why the suite cannot run here, or undefined. */
export function skipReason(shared: SharedK8s): string | undefined {
  if (shared.dir === undefined)
    return `no shared k8s directory (NETCHECK_K8S_SHARED unset or without up.sh; searched ${shared.searched.join(', ')})`;
  if (process.getuid?.() !== 0) return 'the real node needs root (mounts, network namespaces, cgroups)';
  if (process.arch !== 'x64') return 'the shared k8s binaries are linux/amd64 only';
  if (spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status !== 0) return 'kubectl is not on PATH';
  return undefined;
}

export const K8S_DIR = process.env['K8S_DIR'] ?? '/tmp/netcheck-k8s';

/**
 * One run at a time owns the real cluster: its setup wipes whatever an earlier run left, which
 * would pull the cluster from under a concurrent run (a worktree's `npm test` beside another's).
 * The lock file holds the owner's PID; a lock whose process is gone is taken over.
 */
const LOCK = `${K8S_DIR}.lock`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the cluster lock; the reason it is held by another run, if it is. Released at exit. */
export function lockCluster(): string | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(LOCK, String(process.pid), { flag: 'wx' });
      process.on('exit', unlockCluster);
      return undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(LOCK, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && alive(owner))
        return `another run (PID ${owner}) holds the real cluster (${LOCK})`;
      rmSync(LOCK, { force: true });
    }
  }
  return `cannot take ${LOCK}`;
}

export function unlockCluster(): void {
  try {
    if (Number(readFileSync(LOCK, 'utf8')) === process.pid) rmSync(LOCK, { force: true });
  } catch {
    /* not held */
  }
}

function script(dir: string, name: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(join(dir, name), args, { encoding: 'utf8', cwd: '/', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** up.sh --node: returns the admin kubeconfig. Idempotent (restarts only what is down). */
export function clusterUp(dir: string): string {
  const r = script(dir, 'up.sh', ['--node']);
  const line = r.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('KUBECONFIG='));
  if (r.code !== 0 || line === undefined)
    throw new Error(`up.sh --node failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return line.slice('KUBECONFIG='.length);
}

export function clusterDown(dir: string): void {
  script(dir, 'down.sh', ['--wipe']);
}

/** PID of a component up.sh started (its pid file holds "PID EXE"). */
export function componentPid(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(K8S_DIR, 'run', `${name}.pid`), 'utf8').split(' ')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** kubectl as the admin (or the given kubeconfig); input on stdin. Never throws. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** kubectl that must succeed. */
export async function kubectlOk(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * A kubeconfig for ServiceAccount NAMESPACE/NAME with a TokenRequest token (1.20 serves it;
 * `kubectl create token` is kubectl >= 1.24, so the request is posted with --raw).
 */
export async function serviceAccountKubeconfig(admin: string, namespace: string, name: string, file: string) {
  await kubectlOk(admin, ['-n', namespace, 'create', 'serviceaccount', name]);
  const req = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 7200 },
  });
  const out = await kubectlOk(
    admin,
    ['create', '--raw', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, '-f', '-'],
    req,
  );
  const token = (JSON.parse(out) as { status: { token: string } }).status.token;
  const cluster = JSON.parse(await kubectlOk(admin, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority': string } }[];
  };
  const c = cluster.clusters[0]!.cluster;
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: real\n  cluster: {server: "${c.server}", certificate-authority: ${c['certificate-authority']}}`,
      'users:',
      `- name: ${name}\n  user: {token: "${token}"}`,
      'contexts:',
      `- name: ${name}@real\n  context: {cluster: real, user: ${name}}`,
      `current-context: ${name}@real`,
      '',
    ].join('\n'),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until f returns a value (not undefined), or throws after ms with what was last seen. */
export async function eventually<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(250);
  }
}

/** The probe pods (any namespace) and whether netcheck's namespace exists, as the admin sees them. */
export async function leftovers(admin: string): Promise<{ pods: string[]; namespace: boolean }> {
  const pods = await kubectlOk(admin, [
    'get',
    'pods',
    '-A',
    '-l',
    'app.kubernetes.io/managed-by=netcheck',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  ]);
  const ns = await kubectl(admin, ['get', 'namespace', 'netcheck', '-o', 'name']);
  return { pods: pods.split('\n').filter((l) => l !== ''), namespace: ns.code === 0 };
}
