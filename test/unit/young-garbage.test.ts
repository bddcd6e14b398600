// Where JavaScriptCore (the bun release executable) keeps young garbage that V8 collects as it goes,
// the CLI collects it as it builds a model (every YOUNG_GARBAGE_HOSTS hosts) and after each doctor
// check: at 1,000 nodes × 10k Services the bun executable's peak went 2.63 → 1.88 GB. Node has no
// Bun.gc: a stand-in counts the calls, and nothing is called without it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { analysisContext } from '../../src/checks/context.ts';
import { NODE_CHECKS } from '../../src/checks/node/index.ts';
import { runChecks } from '../../src/checks/run-checks.ts';
import { loadModel } from '../../src/cli/analysis-source.ts';
import { collectYoungGarbage, YOUNG_GARBAGE_HOSTS } from '../../src/lib/collect-garbage.ts';
import { buildModel } from '../../src/model/model.ts';
import { snapshotOf } from '../helpers/models.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const g = globalThis as { Bun?: { gc(force: boolean): void } };
/** A stand-in for Bun: the collections asked of it, true for a full one. */
function standIn(): boolean[] {
  const calls: boolean[] = [];
  g.Bun = { gc: (force) => void calls.push(force) };
  return calls;
}

function snapshot(hosts: number): Snapshot {
  const sections: Record<string, Record<string, string>> = {};
  for (let i = 0; i < hosts; i++)
    sections[`node-${String(i).padStart(3, '0')}`] = { sysctl: 'net.ipv4.ip_forward = 1\n' };
  return snapshotOf(sections);
}

describe('young garbage collected as a model is built and checks run', () => {
  afterEach(() => {
    delete g.Bun;
  });

  it('asks the runtime for a young collection only where it offers one', () => {
    collectYoungGarbage();
    const calls = standIn();
    collectYoungGarbage();
    assert.deepEqual(calls, [false]);
  });

  it('buildModel calls afterHost once a host, runChecks afterCheck once a check', () => {
    let hosts = 0;
    const model = buildModel(snapshot(7), { afterHost: () => hosts++ });
    assert.equal(hosts, 7);
    let checks = 0;
    runChecks(analysisContext(model), NODE_CHECKS, {}, { afterCheck: () => checks++ });
    assert.equal(checks, NODE_CHECKS.length);
  });

  it('a command building a model from a snapshot file collects every YOUNG_GARBAGE_HOSTS hosts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-young-'));
    try {
      const path = join(dir, 'cluster.json');
      writeFileSync(path, JSON.stringify(snapshot(2 * YOUNG_GARBAGE_HOSTS + 3)));
      const calls = standIn();
      const model = await loadModel({ kind: 'snapshot', path });
      assert.equal(model.hosts.size, 2 * YOUNG_GARBAGE_HOSTS + 3);
      assert.deepEqual(
        calls.filter((full) => !full),
        [false, false],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kubectl netcheck doctor collects as it builds and after each check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-young-'));
    try {
      const path = join(dir, 'cluster.json');
      writeFileSync(path, JSON.stringify(snapshot(YOUNG_GARBAGE_HOSTS)));
      // The stand-in loaded before the CLI, in the CLI's own process: it says its count at exit.
      const stand = join(dir, 'bun.mjs');
      writeFileSync(
        stand,
        "let young = 0; globalThis.Bun = { gc: (full) => { if (!full) young++; } }; process.on('exit', () => process.stderr.write(`young ${young}\\n`));",
      );
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--import', stand, 'src/cli/main.ts', 'doctor', '--snapshot', path, '-o', 'json'],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`young ${1 + NODE_CHECKS.length}\\n`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
