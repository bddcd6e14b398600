// The folders of src/ follow the data flow (docs/architecture.md): collect → snapshot → model →
// engine → checks → report, cli on top. A module imports only from its own layer or those below
// it, so analysis stays pure (nothing after collection reaches the cluster) and the snapshot stays
// the one contract between collection and analysis. This test reads every import of src/ and
// fails on one that goes the wrong way.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** What each top folder may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  snapshot: ['lib'],
  model: ['lib', 'snapshot'],
  engine: ['lib', 'snapshot', 'model'],
  checks: ['lib', 'snapshot', 'model', 'engine'],
  report: ['lib', 'snapshot', 'model', 'engine', 'checks'],
  // Collection fills the snapshot; raw capture files are decoded by their parser (model/parse).
  collect: ['lib', 'snapshot', 'model/parse'],
  cli: ['lib', 'snapshot', 'model', 'engine', 'checks', 'report', 'collect'],
};

/** Imports that go the wrong way on purpose, each with its reason. */
const EXCEPTIONS: Record<string, string> = {
  'report/active.ts -> collect/active/sender.ts':
    '--active --dry-run prints the exact commands the probe pods would run: collection owns them',
  'report/active.ts -> collect/kube/probe-pod.ts': 'the same dry run quotes them as the probe pod runs them',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)].map((m) => m[1]!);
}

const allowed = (target: string, layers: readonly string[]): boolean =>
  layers.some((l) => target === l || target.startsWith(`${l}/`));

test('every import of src/ goes down the data flow, never up', () => {
  const wrong: string[] = [];
  let seen = 0;
  for (const file of sources(SRC)) {
    const from = relative(SRC, file);
    const layer = from.split('/')[0]!;
    const may = MAY_IMPORT[layer];
    assert.ok(may !== undefined, `${from}: src/${layer} is no known layer (add it to MAY_IMPORT)`);
    for (const spec of imports(file)) {
      seen++;
      const to = relative(SRC, resolve(dirname(file), spec));
      if (to.split('/')[0] === layer || allowed(to, may)) continue;
      if (EXCEPTIONS[`${from} -> ${to}`] !== undefined) continue;
      wrong.push(`${from} -> ${to}`);
    }
  }
  assert.ok(seen > 500, `only ${seen} imports read: the pattern no longer finds them`);
  assert.deepEqual(wrong, []);
});

test('every exception is still needed', () => {
  for (const pair of Object.keys(EXCEPTIONS)) {
    const [from, to] = pair.split(' -> ') as [string, string];
    const found = imports(join(SRC, from)).some((s) => relative(SRC, resolve(dirname(join(SRC, from)), s)) === to);
    assert.ok(found, `${pair} is no longer imported: remove the exception`);
  }
});
