// The standalone executable the krew release ships (krew/build.ts: `bun build --compile`), built
// for this machine, used the way a user gets it: as `kubectl-netcheck` on PATH, found by the real
// kubectl's plugin discovery. Its output must be byte for byte that of the TypeScript sources run
// by Node (`node --import tsx src/cli/main.ts`) for the same arguments, and it must reach an API
// server (TLS, client certificates, exec over WebSocket: all inside the bundled client-node).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bunRuns, compile } from '../../krew/build.ts';
import { binName, hostPlatform } from '../../krew/platforms.ts';
import { readSnapshot } from '../../src/snapshot/io.ts';
import { startLabNodes } from '../apiserver/lab-nodes.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';
import { ApiServerDouble } from '../apiserver/server.ts';
import { allowed, clusterRoleRules } from '../helpers/rbac-grants.ts';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the API server double answers from this process meanwhile). */
function run(cmd: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const platform = hostPlatform();
const bun = bunRuns();
const skip =
  platform === undefined
    ? `krew offers no build for ${process.platform}/${process.arch}`
    : !bun.ok
      ? `bun cannot run here: ${bun.why}`
      : false;

/** kubectl's client version as [major, minor], or undefined when there is no kubectl. */
function kubectlVersion(): [number, number] | undefined {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const v = (JSON.parse(r.stdout) as { clientVersion?: { major?: string; minor?: string } }).clientVersion;
  return [Number.parseInt(v?.major ?? '0', 10), Number.parseInt(v?.minor ?? '0', 10)];
}
const kubectl = kubectlVersion();

describe('the standalone executable', { skip, concurrency: false }, () => {
  let dir: string;
  let binDir: string;
  let exe: string;
  let path: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-krew-'));
    const built = compile(platform!, join(dir, 'build'));
    binDir = join(dir, 'bin');
    mkdirSync(binDir);
    exe = join(binDir, binName(platform!));
    copyFileSync(built, exe);
    chmodSync(exe, 0o755);
    path = `${binDir}${delimiter}${process.env['PATH'] ?? ''}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const node = (args: readonly string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);

  test('kubectl finds it as a plugin: kubectl netcheck --version / --help', {
    skip: kubectl === undefined ? 'kubectl is not installed (Debian: kubernetes-client)' : false,
  }, async () => {
    const version = await run('kubectl', ['netcheck', '--version'], { PATH: path });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(
      version.stdout,
      `${JSON.parse(spawnSync('node', ['-p', 'JSON.stringify(require("./package.json").version)'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout)}\n`,
    );
    const help = await run('kubectl', ['netcheck', '--help'], { PATH: path });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^kubectl netcheck <command> \[options\]\n/);
    assert.equal(help.stdout, (await run(exe, ['--help'])).stdout);
    const list = await run('kubectl', ['plugin', 'list'], { PATH: path });
    assert.ok(list.stdout.includes(exe), list.stdout + list.stderr);
  });

  test('kubectl (1.26+) completes `kubectl netcheck` through kubectl_complete-netcheck', {
    skip:
      kubectl === undefined
        ? 'kubectl is not installed'
        : kubectl[0] === 1 && kubectl[1] < 26
          ? `kubectl ${kubectl.join('.')} predates plugin completion (1.26)`
          : false,
  }, async () => {
    const script = await run(exe, ['completion', 'kubectl']);
    writeFileSync(join(binDir, 'kubectl_complete-netcheck'), script.stdout, { mode: 0o755 });
    const r = await run('kubectl', ['__complete', 'netcheck', 'c'], { PATH: path });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.stdout.split('\n').map((l) => l.split('\t')[0]),
      ['collect', 'cleanup', 'completion', ':4', ''],
    );
    const flags = await run('kubectl', ['__complete', 'netcheck', 'collect', '--dry'], { PATH: path });
    assert.match(flags.stdout, /^--dry-run\t/m);
  });

  test('bash completes kubectl-netcheck with the script from `completion bash`', {
    skip: spawnSync('bash', ['--version']).status === 0 ? false : 'bash is not installed',
  }, async () => {
    const complete = (words: string) =>
      run(
        'bash',
        [
          '-c',
          `source <(kubectl-netcheck completion bash); COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _kubectl_netcheck; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { PATH: path },
      );
    assert.equal((await complete('kubectl-netcheck col')).stdout, 'collect\n');
    assert.equal((await complete('kubectl-netcheck collect --dry')).stdout, '--dry-run\n');
    assert.equal((await complete('kubectl-netcheck doctor -o y')).stdout, 'yaml\n');
  });

  test('zsh completes kubectl-netcheck with the script from `completion zsh`', {
    skip: spawnSync('zsh', ['--version']).status === 0 ? false : 'zsh is not installed',
  }, async () => {
    // compsys itself needs a terminal; its two entry points are stubbed to print what they get.
    const complete = (words: string, current: number) =>
      run(
        'zsh',
        [
          '-c',
          `compdef() { :; }; _describe() { print -l -- "\${(@P)2}"; }; _files() { print FILES; }; source <(kubectl-netcheck completion zsh); words=(${words}); CURRENT=${current}; _kubectl_netcheck`,
        ],
        { PATH: path },
      );
    assert.match((await complete('kubectl-netcheck col', 2)).stdout, /^collect:[^\n]+\n$/);
    assert.equal((await complete('kubectl-netcheck doctor -o y', 4)).stdout, 'yaml\n');
    assert.equal((await complete("kubectl-netcheck collect --kubeconfig ''", 4)).stdout, 'FILES\n');
  });

  /** Argument vectors whose output depends only on the arguments (and files in the repo). */
  async function vectors(): Promise<string[][]> {
    const help = (await node(['--help'])).stdout;
    const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
    const cmds = [...section.matchAll(/^ {2}kubectl netcheck (\S+)/gm)].map((m) => m[1]!);
    assert.ok(cmds.includes('collect') && cmds.includes('completion'), `commands from --help: ${cmds.join(' ')}`);
    const v: string[][] = [
      [],
      ['--help'],
      ['--version'],
      ['nosuchcommand'],
      ['--output', 'xml', 'collect'],
      ['probe'],
      ['collect', '--dry-run', '--kubeconfig', '/nonexistent/kubeconfig'],
      // The CLI contract (test/e2e/cli-contract.test.ts): usage errors, once, before any I/O.
      ['doctor', 'extra'],
      ['pod-to-pod'],
      ['doctor', '-o', 'xml'],
      ['collect', '--dry-run', '--nodes', ''],
      ['probe', '--local', '-o', 'table'],
      ['doctor', '--list', '-o', 'yaml'],
      ['doctor', '--snapshot', '/dev/zero'],
    ];
    for (const c of cmds) v.push([c, '--help']);
    for (const s of ['bash', 'zsh', 'kubectl']) v.push(['completion', s]);
    for (const w of [[''], ['collect', '--'], ['doctor', '-o', '']]) v.push(['__complete', ...w]);
    // Offline analysis of the bundled example snapshots, once those commands exist.
    const examples = join(REPO_ROOT, 'examples');
    if (cmds.includes('doctor') && existsSync(examples)) {
      const files = readdirSync(examples)
        .filter((n) => n.endsWith('.json'))
        .sort();
      for (const f of files) v.push(['doctor', '--snapshot', join('examples', f)]);
      if (files[0] !== undefined) v.push(['doctor', '--snapshot', join('examples', files[0]), '-o', 'json']);
    }
    return v;
  }

  test('prints byte for byte what `node --import tsx src/cli/main.ts` prints', async () => {
    const differ: string[] = [];
    const queue = await vectors();
    // Node + tsx spends about a second of CPU starting; three vectors at a time keep 2 cores busy.
    const worker = async () => {
      for (let args = queue.shift(); args !== undefined; args = queue.shift()) {
        const [a, b] = await Promise.all([run(exe, args), node(args)]);
        if (a.code !== b.code || a.stdout !== b.stdout || a.stderr !== b.stderr) {
          differ.push(
            `${JSON.stringify(args)}: exit ${a.code} vs ${b.code}\n--- executable stdout\n${a.stdout}\n--- node stdout\n${b.stdout}\n--- executable stderr\n${a.stderr}\n--- node stderr\n${b.stderr}`,
          );
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    assert.deepEqual(differ, []);
  });

  test('reaches an API server: collect --dry-run lists the nodes over TLS with a client certificate', async () => {
    const d = await ApiServerDouble.start({ nodes: [{ name: 'node-x' }, { name: 'node-y' }] });
    try {
      const r = await run(exe, ['collect', '--dry-run', '--kubeconfig', d.kubeconfigPath]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /nodeName: node-x\n[\s\S]*nodeName: node-y\n/);
      assert.ok(d.log.some((l) => l.method === 'GET' && l.path.startsWith('/api/v1/nodes')));
      assert.equal(d.pods().length, 0);
    } finally {
      await d.close();
    }
  });

  test('collects a node through a probe pod (exec over WebSocket) and leaves no pod behind', {
    skip: process.getuid?.() === 0 ? false : 'needs root (ip netns for the node)',
  }, async () => {
    const lab = await startLabNodes(1);
    const d = await ApiServerDouble.start({
      nodes: lab.nodes.map((n) => ({ name: n.name, netns: n.netns, internalIP: n.ip })),
    });
    try {
      const out = join(dir, 'snap.json');
      const r = await run(exe, ['collect', '-o', out, '--kubeconfig', d.kubeconfigPath]);
      assert.equal(r.code, 0, r.stderr);
      const snap = await readSnapshot(out);
      const host = snap.hosts[lab.nodes[0]!.name]!;
      assert.match(host.sections['iptables-nft-save'] ?? '', new RegExp(`node ${lab.nodes[0]!.name}`));
      assert.match(host.sections['ip-route'] ?? '', /blackhole/);
      assert.equal(d.pods().length, 0);
      const clean = await run(exe, ['cleanup', '--kubeconfig', d.kubeconfigPath]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /namespace\/netcheck deleted/);
      // deploy/rbac.yaml grants every request collect and cleanup made, and nothing it need not.
      const rules = clusterRoleRules();
      // SelfSubjectAccessReviews are granted to every authenticated user (system:basic-user).
      const denied = d.log
        .filter((l) => !l.path.startsWith('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'))
        .filter((l) => !allowed(rules, l.method, l.path))
        .map((l) => `${l.method} ${l.path}`);
      assert.deepEqual(denied, []);
      assert.ok(
        d.log.some((l) => l.path.includes('/exec')) &&
          d.log.some((l) => l.method === 'DELETE' && l.path === '/api/v1/namespaces/netcheck'),
      );
    } finally {
      await d.close();
      await lab.stop();
    }
  });
});
