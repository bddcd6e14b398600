// docs/findings.md is the catalog, rendered; and every ID in the catalog is one some check can report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FINDINGS } from '../../../src/checks/catalog.ts';
import { findingsMarkdown } from '../../../src/checks/findings-doc.ts';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('docs/findings.md equals the catalog (run npm run docs:findings)', () => {
  assert.equal(readFileSync('docs/findings.md', 'utf8'), findingsMarkdown());
});

test('every catalogued finding is produced by some check', () => {
  const code = sources('src/checks')
    .filter((p) => !p.endsWith('catalog.ts') && !p.endsWith('findings-doc.ts'))
    .map((p) => readFileSync(p, 'utf8'))
    .join('\n');
  const unused = Object.keys(FINDINGS).filter((id) => !code.includes(`'${id}'`));
  assert.deepEqual(unused, []);
});

test('IDs are kebab-case and every entry says meaning, detection and fix', () => {
  for (const [id, d] of Object.entries(FINDINGS)) {
    assert.match(id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
    for (const k of ['title', 'meaning', 'detection', 'fix'] as const) assert.ok(d[k].length > 10, `${id}.${k}`);
  }
});
