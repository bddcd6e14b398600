// The CLI contract, through the entry point a source install puts on PATH: `npm link` into a
// temporary prefix, then `kubectl-netcheck ...` (and `kubectl netcheck ...`, through kubectl's
// plugin discovery). Each argument vector has its exit status, the lines it may print, and no
// I/O: the kubeconfig of every run points at a local listener that counts connections, and a
// usage error must leave it at zero. Exit 4 (a bug) is reached by none of them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { PROBE_COMMANDS } from '../../src/snapshot/sections.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';
import { startLabNodes } from '../apiserver/lab-nodes.ts';
import { ApiServerDouble } from '../apiserver/server.ts';

const SNAP = join(REPO_ROOT, 'examples/healthy.json');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Case {
  args: string[];
  /** Exit status. */
  code: number;
  /** stderr matches (usage errors: the one line). */
  says?: RegExp;
  /** Lines on stdout (default 0 for errors). */
  stdoutLines?: number;
  stdin?: Buffer;
}

/** trace on the healthy example, each endpoint form: golden output in test/e2e/golden/ (UPDATE_GOLDEN=1 rewrites). */
const TRACE_GOLDEN: [name: string, args: string[], code: number][] = [
  ['trace-pod-service', ['trace', 'default/client-0', 'svc/default/web:http'], 0],
  ['trace-node-service', ['trace', 'node/node-a', 'svc/web', '-o', 'wide'], 0],
  ['trace-node-pod', ['trace', 'node/node-b', 'default/web-0', '--port', '8080'], 0],
  ['trace-pod-node', ['trace', '10.65.0.2', 'node/node-c', '--port', '22'], 0],
  ['trace-pod-lan', ['trace', 'default/web-0', '192.168.1.50', '--protocol', 'udp', '--port', '53'], 0],
  ['trace-lan-pod', ['trace', '192.168.1.50', 'default/web-0', '--port', '8080'], 0],
];

const lines = (s: string): number => (s === '' ? 0 : s.replace(/\n$/, '').split('\n').length);

describe('the CLI contract, as `npm link` installs it', { concurrency: false }, () => {
  let dir: string;
  let bin: string;
  let env: Record<string, string>;
  let listener: Server;
  let connections = 0;

  function run(cmd: string, args: readonly string[], stdin?: Buffer, extraEnv: Record<string, string> = {}) {
    return new Promise<Run>((resolve) => {
      const child = spawn(cmd, args, { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-contract-'));
    const prefix = join(dir, 'prefix');
    // npm link: a link to this checkout in the prefix's lib/node_modules, and its bin on PATH.
    const link = spawnSync('npm', ['link', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: REPO_ROOT,
      env: { ...process.env, npm_config_prefix: prefix },
      encoding: 'utf8',
    });
    assert.equal(link.status, 0, link.stderr);
    bin = join(prefix, 'bin', 'kubectl-netcheck');
    // Any connection to "the cluster" is counted; none is answered.
    listener = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    mkdirSync(join(dir, 'home'));
    env = {
      PATH: `${join(prefix, 'bin')}${delimiter}${process.env['PATH'] ?? ''}`,
      HOME: join(dir, 'home'),
      KUBECONFIG: kubeconfig,
      NO_COLOR: '1',
    };
  });
  after(async () => {
    await new Promise<void>((r) => listener.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const usage = (args: string[], says: RegExp): Case => ({ args, code: 2, says });

  const CASES: Case[] = [
    // Unknown flags and extra positionals: nothing runs (a live run would collect first).
    usage(['doctor', 'extra'], /Unknown argument: extra/),
    usage(['doctor', '--frobnicate'], /Unknown argument: frobnicate/),
    usage(['lan', '192.168.1.50', 'default/web-0', '--prot', '8080'], /Unknown argument/),
    usage(['doctor', 'extra', '--snapshot', SNAP], /Unknown argument: extra/),
    usage(['frobnicate'], /Unknown argument|Unknown command/),
    usage([], /^error: Name a command \(see kubectl netcheck --help\)$/m),
    // Missing positionals, bad -o.
    usage(['pod-to-pod'], /Not enough non-option arguments/),
    usage(['pod-to-pod', 'default/web-0'], /Not enough non-option arguments/),
    usage(['lan'], /Not enough non-option arguments/),
    usage(['lan', '192.168.1.50'], /Not enough non-option arguments/),
    usage(['doctor', '-o', 'xml'], /Invalid values: Argument: output, Given: "xml"/),
    usage(['doctor', '-o', ''], /Invalid values: Argument: output, Given: ""/),
    usage(['completion', 'fish'], /Invalid values/),
    // collect's output path is checked before collecting.
    usage(['collect', '-o', '/nonexistent/dir/x.json'], /directory \/nonexistent\/dir does not exist/),
    usage(['collect', '-o', tmpdir()], /is a directory/),
    usage(['collect'], /collect needs -o FILE/),
    usage(['collect', '--dry-run', '-o', 'x.json'], /-o does not apply/),
    // Values that are wrong, or flags that do not apply.
    usage(['pod-to-pod', 'a', 'b', '--port'], /Not enough arguments following: port/),
    usage(['pod-to-pod', 'a', 'b', '--port', 'abc'], /--port "abc" is not a port/),
    usage(['pod-to-pod', 'a', 'b', '--port', '99999'], /--port "99999" is not a port/),
    usage(['pod-to-pod', 'a', 'b', '--port', '80', '--port', '81'], /--port is given 2 times/),
    usage(['pod-to-pod', 'a', 'b', '--protocol', 'icmp', '--port', '80'], /--port does not apply to --protocol icmp/),
    usage(['pod-to-pod', 'a', 'b', '--protocol', 'tcp'], /--protocol tcp needs --port/),
    usage(['lan', '192.168.1.500', 'default/web-0'], /LAN host "192\.168\.1\.500" is not an IPv4 address/),
    usage(['lan', '192.168.1.50', 'default/web-0', '--via', 'Node_A'], /--via "Node_A" is not a Kubernetes name/),
    usage(['externalip', 'svc', '-A'], /-A audits every namespace/),
    usage(['externalip', '-A', '-n', 'shop'], /-n does not apply/),
    usage(['externalip', '--via', 'node-a'], /--via needs --from/),
    usage(['externalip', '--from', 'lan-pc'], /--from "lan-pc" is not an IPv4 address/),
    usage(['doctor', '--nodes', 'node-a', '--snapshot', SNAP], /--nodes applies to a live cluster, not to --snapshot/),
    usage(['doctor', '--snapshot', SNAP, '--kubeconfig', 'k', '--image', 'i'], /--kubeconfig, --image apply to a live/),
    usage(['doctor', '--check', ''], /--check has an empty name/),
    usage(['doctor', '--check', 'nope'], /no check nope/),
    usage(['doctor', '--list', '--snapshot', SNAP], /--list takes no --snapshot/),
    usage(['doctor', '--snapshot', ''], /--snapshot needs a value/),
    usage(['doctor', '--context', ''], /--context needs a value/),
    usage(['doctor', '--request-timeout', 'soon'], /invalid --request-timeout "soon"/),
    usage(['pod-to-pod', 'a', 'b', '-n', 'Not_A_Name'], /-n\/--namespace "Not_A_Name" is not a namespace name/),
    usage(['collect', '--dry-run', '--nodes', ''], /--nodes has an empty name/),
    usage(['collect', '-o', 'x.json', '--objects-only', '--nodes', 'node-a'], /--nodes does not apply/),
    usage(
      ['collect', '--dry-run', '--nodes', 'node a;rm -rf /'],
      /--nodes "node a;rm -rf \/" is not a Kubernetes name/,
    ),
    usage(['collect', '--dry-run', '--probe-namespace', 'Not_A_Name'], /--probe-namespace "Not_A_Name" is not a/),
    usage(['collect', '--dry-run', '--image', ''], /--image needs a value/),
    usage(['collect', '--dry-run', '--image', 'a b'], /--image "a b" is not an image reference/),
    usage(['collect', '--dry-run', '--concurrency', '0'], /--concurrency "0" is not a number of pods/),
    usage(['collect', '--dry-run', '--concurrency', 'abc'], /--concurrency "abc" is not a number of pods/),
    usage(['collect', '--dry-run', '--timeout', '-5'], /--timeout "-5" is not a number of seconds/),
    usage(['collect', '--dry-run', '--command-timeout', '1.5'], /--command-timeout "1.5" is not a number/),
    usage(['collect', '--dry-run', '--image-pull-secret', 'a,,b'], /--image-pull-secret has an empty name/),
    // Options of one command are not options of another.
    usage(['collect', '--snapshot', SNAP], /Unknown argument: snapshot/),
    usage(['cleanup', '-o', 'json'], /Unknown argument/),
    usage(['probe', '--local', '-o', 'table'], /Invalid values: Argument: output, Given: "table"/),
    usage(['probe', '--snapshot', SNAP], /Unknown argument: snapshot/),
    usage(['probe'], /probe needs --local/),
    usage(['completion', 'bash', '--kubeconfig', 'k'], /Unknown argument: kubeconfig/),
    usage(['doctor', '-n', 'default'], /Unknown argument/),
    // trace: every endpoint form is checked before anything is read.
    usage(['trace', 'default/web-0'], /Not enough non-option arguments/),
    usage(['trace', 'svc/web', 'default/web-0'], /SRC svc\/web: a Service sends nothing/),
    usage(['trace', 'nodeport/node-a:30080', 'default/web-0'], /a Service sends nothing/),
    usage(['trace', 'default/web-0', 'deploy/web'], /DST "deploy\/web": name one pod of it, or its Service/),
    usage(['trace', 'default/web-0', 'svc/web:Not_A_Port'], /is neither a port number nor a Service port name/),
    usage(['trace', 'default/web-0', 'svc/web:70000'], /DST "70000" is not a port/),
    usage(['trace', 'default/web-0', 'nodeport/node-a'], /is not nodeport\/NODE:PORT/),
    usage(['trace', 'node/Node_A', 'default/web-0'], /SRC "Node_A" is not a Kubernetes name/),
    usage(['trace', '127.0.0.1', 'default/web-0'], /SRC 127\.0\.0\.1 is a loopback address/),
    usage(['trace', 'default/web-0', '10.1.2'], /DST "10\.1\.2" is not an endpoint/),
    usage(['trace', 'a/b/c', 'default/web-0'], /SRC "a\/b\/c" is not \[namespace\/\]name/),
    usage(['trace', 'default/web-0', 'default/db-0', '--protocol', 'udp'], /--protocol udp needs --port/),
    usage(['trace', 'default/web-0', 'svc/web', '--protocol', 'icmp', '--port', '80'], /--port does not apply/),
    usage(
      ['trace', 'default/client-0', 'svc/web:8080', '--snapshot', SNAP],
      /Service default\/web has no port 8080 \(its ports: 80 \(http\)\)/,
    ),
    usage(
      ['trace', 'default/client-0', 'svc/web:80', '--port', '81', '--snapshot', SNAP],
      /DST names port 80 and --port says 81/,
    ),
    usage(['trace', '192.168.1.50', '192.168.1.60', '--snapshot', SNAP], /both outside the cluster/),
    usage(
      ['trace', '10.96.120.15', 'default/web-0', '--snapshot', SNAP],
      /SRC 10\.96\.120\.15 is an address of Service default\/web/,
    ),
    // Snapshot input: refused early and bounded.
    usage(['doctor', '--snapshot', '/dev/zero'], /\/dev\/zero: not a netcheck snapshot: neither JSON nor gzip/),
    usage(['doctor', '--snapshot', join(tmpdir())], /cannot read snapshot .*EISDIR/),
    { args: ['doctor', '--snapshot', '-'], code: 2, says: /stdin is empty/, stdin: Buffer.alloc(0) },
    {
      args: ['doctor', '--snapshot', '-'],
      code: 2,
      says: /stdin: not a valid gzip/,
      stdin: gzipSync('{').subarray(0, 5),
    },
    // What works prints its answer once.
    { args: ['--version'], code: 0, stdoutLines: 1 },
    { args: ['doctor', '--snapshot', SNAP, '-o', 'json'], code: 0 },
    { args: ['doctor', '--snapshot', '-', '-o', 'json'], code: 0, stdin: readFileSync(SNAP) },
    { args: ['doctor', '--snapshot', '-'], code: 0, stdin: gzipSync(readFileSync(SNAP)) },
    { args: ['doctor', '--snapshot', SNAP, '-o', 'yaml'], code: 0 },
    { args: ['doctor', '--list', '-o', 'json'], code: 0 },
    { args: ['doctor', '--list', '-o', 'yaml'], code: 0 },
    { args: ['__complete', 'col'], code: 0, stdoutLines: 2 },
    { args: ['__complete', 'trace', 'default/web-0', 's'], code: 0, stdoutLines: 2 },
    ...TRACE_GOLDEN.map(([, args, code]) => ({ args: [...args, '--snapshot', SNAP], code })),
    { args: ['__complete', 'doctor', '-o', 'y'], code: 0, stdoutLines: 2 },
    { args: ['collect', '--dry-run', '--nodes', 'node-a'], code: 0 },
    { args: ['probe', '--local', '-o', 'yaml'], code: 0 },
  ];

  const results = new Map<Case, Run>();

  test('every case: its exit status, each message once, and no connection to the cluster', async () => {
    const queue = [...CASES];
    // Two at a time: the machine has two cores, and tsx spends about a second starting.
    const worker = async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) results.set(c, await run(bin, c.args, c.stdin));
    };
    await Promise.all([worker(), worker()]);
    const wrong: string[] = [];
    for (const c of CASES) {
      const r = results.get(c)!;
      const problems: string[] = [];
      if (r.code !== c.code) problems.push(`exit ${r.code}, want ${c.code}`);
      if (c.code === 2) {
        if (r.stdout !== '') problems.push('printed on stdout');
        if (!/^error: [^\n]*\n$/.test(r.stderr)) problems.push('stderr is not one "error:" line');
      } else if (r.stderr !== '') problems.push('printed on stderr');
      if (c.says !== undefined && !c.says.test(r.stderr)) problems.push(`stderr does not say ${c.says}`);
      if (c.stdoutLines !== undefined && lines(r.stdout) !== c.stdoutLines)
        problems.push(`${lines(r.stdout)} stdout lines, want ${c.stdoutLines}`);
      if (problems.length > 0)
        wrong.push(
          `${JSON.stringify(c.args)}: ${problems.join('; ')}\n  stdout: ${r.stdout.slice(0, 300)}\n  stderr: ${r.stderr}`,
        );
    }
    assert.deepEqual(wrong, []);
    assert.equal(connections, 0, 'a case connected to the cluster');
  });

  const out = (args: string[]) => [...results.entries()].find(([c]) => c.args.join(' ') === args.join(' '))![1].stdout;

  test('one document per run: --version, -o json, -o yaml, doctor --list, probe, completion', () => {
    const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    assert.equal(out(['--version']), `${version}\n`);
    assert.equal(JSON.parse(out(['doctor', '--snapshot', SNAP, '-o', 'json'])).kind, 'Report');
    assert.equal(JSON.parse(out(['doctor', '--snapshot', '-', '-o', 'json'])).verdict, 'healthy');
    // YAML 1.1 readers turn an unquoted timestamp into a date: capturedAt is quoted.
    const yaml = out(['doctor', '--snapshot', SNAP, '-o', 'yaml']);
    assert.match(yaml, /^ {2}capturedAt: "[^"]+"$/m);
    assert.equal(parseYaml(yaml).kind, 'Report');
    const checks = JSON.parse(out(['doctor', '--list', '-o', 'json'])) as { name: string }[];
    assert.ok(checks.length > 3 && checks.every((c) => typeof c.name === 'string'));
    assert.deepEqual(
      (parseYaml(out(['doctor', '--list', '-o', 'yaml'])) as { name: string }[]).map((c) => c.name),
      checks.map((c) => c.name),
    );
    assert.match(out(['__complete', 'col']), /^collect\t[^\n]+\n:4\n$/);
    assert.equal(out(['__complete', 'doctor', '-o', 'y']), 'yaml\n:4\n');
    const probe = out(['probe', '--local', '-o', 'yaml']);
    assert.doesNotMatch(probe, /^\{/);
    assert.equal(typeof (parseYaml(probe) as { sections: Record<string, string> }).sections['ip-route'], 'string');
  });

  test('trace: each endpoint form prints its golden answer; completion offers the endpoint kinds', () => {
    for (const [name, args] of TRACE_GOLDEN) {
      const file = join(REPO_ROOT, 'test/e2e/golden', `${name}.txt`);
      const got = out([...args, '--snapshot', SNAP]).replace(SNAP, 'examples/healthy.json');
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, got);
      assert.equal(got, readFileSync(file, 'utf8'), `${file} differs (UPDATE_GOLDEN=1 rewrites it after review)`);
    }
    assert.equal(out(['__complete', 'trace', 'default/web-0', 's']), 'svc/\n:6\n');
  });

  test('collect --dry-run prints each probe command so that a shell gets its exact words back', () => {
    const dry = out(['collect', '--dry-run', '--nodes', 'node-a']);
    for (const c of PROBE_COMMANDS) {
      const line = dry.split('\n').find((l) => l.startsWith(`#   ${c.argv[0]} `) && l.includes(`# ${c.why}`));
      assert.ok(line !== undefined, `no line for ${c.argv.join(' ')}`);
      const words = line.slice(4, line.lastIndexOf(`    # ${c.why}`));
      const back = spawnSync('sh', ['-c', `printf '%s\\n' ${words}`], { encoding: 'utf8' });
      assert.deepEqual(back.stdout.split('\n').slice(0, -1), [...c.argv], words);
    }
  });

  test('a closed pipe ends the run quietly (`... -o json | true`)', async () => {
    const r = await run('bash', [
      '-c',
      `"${bin}" doctor --snapshot "${SNAP}" -o yaml | true; echo "status \${PIPESTATUS[0]}" >&2`,
    ]);
    assert.equal(r.stderr, 'status 0\n');
  });

  test('kubectl netcheck (plugin discovery) runs the installed command once', {
    skip: spawnSync('kubectl', ['version', '--client']).status === 0 ? false : 'kubectl is not installed',
  }, async () => {
    const v = await run('kubectl', ['netcheck', '--version']);
    assert.equal(lines(v.stdout), 1, v.stdout);
    const e = await run('kubectl', ['netcheck', 'doctor', '--frobnicate']);
    assert.equal(e.code, 2);
    assert.equal(lines(e.stderr), 1, e.stderr);
  });

  test('help lists only the options of its command', async () => {
    const help = async (cmd: string) => (await run(bin, [cmd, '--help'])).stdout;
    const collect = await help('collect');
    assert.match(collect, /^ {2}-o, --output /m);
    assert.doesNotMatch(collect, /--snapshot|-o, -o/);
    for (const cmd of ['cleanup', 'probe']) assert.doesNotMatch(await help(cmd), /--snapshot|\btable\b/, cmd);
    assert.doesNotMatch(await help('cleanup'), /--output/);
    assert.match(await help('lan'), /--protocol +Protocol: tcp, udp or icmp/);
    assert.doesNotMatch(await help('completion'), /--kubeconfig|--output/);
  });

  test('the control: a valid live run does connect (so zero connections above means none was tried)', async () => {
    const before = connections;
    const r = await run(bin, ['doctor', '--request-timeout', '5s']);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(connections > before);
  });

  test('a collection warning is printed once (in the report, not also on stderr)', {
    skip: process.getuid?.() === 0 ? false : 'needs root (ip netns for the node)',
  }, async () => {
    const lab = await startLabNodes(1);
    const d = await ApiServerDouble.start({
      nodes: lab.nodes.map((n) => ({ name: n.name, netns: n.netns, internalIP: n.ip })),
    });
    try {
      d.forbid({ verb: 'list', resource: 'ippools.crd.projectcalico.org' });
      const r = await run(bin, ['doctor', '--kubeconfig', d.kubeconfigPath]);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const all = r.stdout + r.stderr;
      assert.equal(all.split('ipPools: not collected').length - 1, 1, all);
      assert.equal(r.stderr, '');
    } finally {
      await d.close();
      await lab.stop();
    }
  });
});
