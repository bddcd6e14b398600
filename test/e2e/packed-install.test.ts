// The packed package, as a user installs it without a checkout: `npm pack` (prepack bundles the
// CLI into dist/), then `npm install -g <tarball>` into a temporary prefix, offline. The tarball
// carries its production dependencies (bundleDependencies), so the install needs no registry —
// npm 11 asks the registry for full package documents, which `npm ci` never caches — and nothing
// of the devDependencies (tsx, TypeScript) is installed or needed to run it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VERSION } from '../../src/cli/version.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];

describe('the packed package, installed with npm install -g from its tarball', { concurrency: false }, () => {
  let dir: string;
  let bin: string;
  let installed: string;

  const run = (args: string[]) =>
    spawnSync(bin, args, {
      cwd: dir,
      encoding: 'utf8',
      // The prefix's bin and node only: nothing of the checkout (its node_modules, tsx) is reachable.
      env: { PATH: `${join(dir, 'prefix', 'bin')}:${process.env['PATH'] ?? ''}`, HOME: dir, NO_COLOR: '1' },
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-packed-'));
    // Packed from a copy, so the checkout never holds a dist/ of its own while other tests run it.
    const src = join(dir, 'src-copy');
    for (const f of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'LICENSE',
    ])
      cpSync(join(REPO_ROOT, f), join(src, f));
    for (const d of ['src', 'bin', 'scripts']) cpSync(join(REPO_ROOT, d), join(src, d), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(src, 'node_modules'));
    const pack = spawnSync('npm', ['pack', '--pack-destination', dir, ...NPM_QUIET], { cwd: src, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = join(dir, `kubectl-netcheck-${VERSION}.tgz`);
    const install = spawnSync(
      'npm',
      ['install', '-g', '--offline', '--prefix', join(dir, 'prefix'), ...NPM_QUIET, tarball],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(install.status, 0, install.stderr);
    bin = join(dir, 'prefix', 'bin', 'kubectl-netcheck');
    installed = join(dir, 'prefix', 'lib', 'node_modules', 'kubectl-netcheck');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('it installs the compiled CLI and the production dependencies only', () => {
    assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')));
    assert.ok(!existsSync(join(installed, 'src')), 'the TypeScript sources are not shipped');
    const modules = readdirSync(join(installed, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'bun', '@biomejs', 'esbuild'])
      assert.ok(!modules.includes(dev), `devDependency ${dev} is installed`);
    for (const prod of ['yargs', 'yaml', '@kubernetes']) assert.ok(modules.includes(prod), `${prod} is missing`);
  });

  test('--version prints the version once', () => {
    const r = run(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
    assert.equal(r.stderr, '');
  });

  test('doctor on the healthy example: HEALTHY, exit 0', () => {
    const r = run(['doctor', '--snapshot', join(REPO_ROOT, 'examples/healthy.json')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^✔ HEALTHY {2}3 node\(s\), 0 finding\(s\)$/m);
  });

  test('a usage error: exit 2, one line on stderr, nothing on stdout', () => {
    const r = run(['doctor', 'extra']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: Unknown argument: extra \(see kubectl netcheck doctor --help\)\n$/);
  });
});
