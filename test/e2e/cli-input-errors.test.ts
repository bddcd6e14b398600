// Bad input gives one line naming the problem, exit 2, no stack trace (the CLI as users run it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SNAP = 'examples/healthy.json';

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'netcheck-bad-'));
const notJson = join(dir, 'notes.txt');
writeFileSync(notJson, 'this is not a snapshot\n');
const wrongDoc = join(dir, 'pod.json');
writeFileSync(wrongDoc, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }));

const CASES: { name: string; args: string[]; says: RegExp }[] = [
  {
    name: 'unknown pod',
    args: ['pod-to-pod', 'default/nope', 'default/web-0', '--snapshot', SNAP],
    says: /no pod nope in namespace default/,
  },
  {
    name: 'unknown namespace',
    args: ['pod-to-pod', 'ghost/web-0', 'default/web-0', '--snapshot', SNAP],
    says: /no namespace ghost/,
  },
  {
    name: 'pod IP nobody has',
    args: ['pod-to-pod', '10.99.99.99', 'default/web-0', '--snapshot', SNAP],
    says: /no pod has the IP 10\.99\.99\.99/,
  },
  {
    name: 'unknown Service',
    args: ['externalip', 'default/nope', '--snapshot', SNAP],
    says: /no Service nope in namespace default/,
  },
  {
    name: 'LAN address that is not an IP',
    args: ['lan', '192.168.1.500', 'default/web-0', '--snapshot', SNAP],
    says: /LAN host "192\.168\.1\.500" is not an IPv4 address/,
  },
  {
    name: '--from that is not an IP',
    args: ['externalip', '-A', '--from', 'lan-pc', '--snapshot', SNAP],
    says: /--from "lan-pc" is not an IPv4 address/,
  },
  {
    name: 'node not in the snapshot',
    args: ['lan', '192.168.1.50', 'default/web-0', '--via', 'node-z', '--snapshot', SNAP],
    says: /no node node-z \(nodes: node-a, node-b, node-c\)/,
  },
  { name: 'file that is not a snapshot', args: ['doctor', '--snapshot', notJson], says: /not a netcheck snapshot/ },
  { name: 'JSON that is not a snapshot', args: ['doctor', '--snapshot', wrongDoc], says: /pod\.json/ },
  {
    name: 'missing file',
    args: ['doctor', '--snapshot', join(dir, 'absent.json')],
    says: /cannot read snapshot .*ENOENT/,
  },
  { name: 'unknown check', args: ['doctor', '--check', 'nope', '--snapshot', SNAP], says: /no check nope/ },
  {
    name: 'tcp without a port',
    args: ['pod-to-pod', 'default/web-0', 'default/web-1', '--protocol', 'tcp', '--snapshot', SNAP],
    says: /--protocol tcp needs --port/,
  },
  { name: 'unknown command', args: ['frobnicate'], says: /Unknown argument|Unknown command/i },
];

for (const c of CASES) {
  test(`bad input: ${c.name} → exit 2, one line`, () => {
    const r = cli(c.args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^error: /);
    assert.match(lines[0]!, c.says);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}
