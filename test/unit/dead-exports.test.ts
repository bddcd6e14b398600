// Dead code: an export of src/ that nothing names — not another module, a test, a script, nor its
// own file — is code nobody runs (issue #17: broadcastOf, allAddresses, maxBranches, ...). Names
// are matched as words, so an export used anywhere, even only in its own file, passes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOTS = ['src', 'test', 'bench', 'scripts', 'bin', 'krew'];
const CODE = /\.(ts|mts|mjs|js)$/;
const EXPORT = /^export (?:async )?(?:function\*?|const|let|class|abstract class|interface|type|enum) (\w+)/gm;

function files(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules' || name === 'fixtures' || name === 'golden') return [];
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : CODE.test(name) ? [p] : [];
  });
}

/** Exports of `own` that appear, as a word, nowhere but at their own declaration. */
export function deadExports(texts: ReadonlyMap<string, string>, own: string): string[] {
  const text = texts.get(own) ?? '';
  return [...text.matchAll(EXPORT)]
    .map((m) => m[1]!)
    .filter((name) => {
      const word = new RegExp(`\\b${name}\\b`, 'g');
      if ((text.match(word) ?? []).length > 1) return false;
      return ![...texts].some(([path, t]) => path !== own && word.test(t));
    });
}

test('deadExports: an export named only at its declaration is dead; one used anywhere is not', () => {
  const texts = new Map([
    ['src/a.ts', 'export function used() {}\nexport function inside() {}\ninside();\nexport const dead = 1;\n'],
    ['test/a.test.ts', "import { used } from '../src/a.ts';\n"],
  ]);
  assert.deepEqual(deadExports(texts, 'src/a.ts'), ['dead']);
});

test('every export of src/ is used somewhere', () => {
  const texts = new Map(ROOTS.flatMap(files).map((p) => [p, readFileSync(p, 'utf8')] as const));
  const dead = [...texts.keys()]
    .filter((p) => p.startsWith('src'))
    .flatMap((p) => deadExports(texts, p).map((n) => `${p}: ${n}`));
  assert.deepEqual(dead, []);
});
