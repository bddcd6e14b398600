#!/usr/bin/env node
// Builds the packed package's CLI (`prepack`, bench/entries.ts): src/cli/main.ts bundled by
// esbuild into dist/cli/main.js, the production dependencies left as imports of node_modules (the
// tarball bundles them). Node loads one file at start-up instead of the 265 modules tsc wrote
// (each resolved, read and compiled on its own). The modules the CLI imports only when it needs
// them (live collection, the kube client) stay chunks of their own, loaded when imported.
// Types are checked by prepack (tsc -p tsconfig.build.json, the sources only), not here: esbuild
// only strips them.
// Usage: node scripts/build-dist.mjs [OUTDIR]   (default dist/)
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = resolve(process.argv[2] ?? join(root, 'dist'));

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
