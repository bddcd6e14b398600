// Reads files under test/fixtures/ (see test/fixtures/SOURCES.md for where each came from).
import { readFileSync, readdirSync } from 'node:fs';

const ROOT = new URL('../fixtures/', import.meta.url);

export function fixture(rel: string): string {
  return readFileSync(new URL(rel, ROOT), 'utf8');
}

/** Relative paths of the files directly in a fixture directory, sorted. */
export function fixtureFiles(dir: string): string[] {
  return readdirSync(new URL(`${dir}/`, ROOT), { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${dir}/${e.name}`)
    .sort();
}
