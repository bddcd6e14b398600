#!/usr/bin/env node
// Builds the packed package's CLI (`prepack`, bench/entries.ts): src/cli/main.ts and the
// dependencies it imports at start-up (yargs, yaml, cli-table3) bundled by esbuild into
// dist/cli/main.js, so Node loads one file instead of the 265 modules tsc wrote and the ~150 of
// those dependencies (each resolved, read and compiled on its own). What the CLI imports only when
// it needs it stays out: live collection and the kube client as chunks of their own, loaded when
// imported, and @kubernetes/client-node and ora as imports of node_modules (the tarball bundles
// every production dependency, so they resolve as before).
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
  external: ['@kubernetes/client-node', 'ora'],
  // The CommonJS dependencies bundled (cli-table3, string-width) call require() for Node's modules.
  banner: {
    js: "import { createRequire as netcheckRequire } from 'node:module'; const require = netcheckRequire(import.meta.url);",
  },
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
