#!/usr/bin/env node
// The installed command. A packed package (`npm pack`, then `npm install -g` of the tarball)
// carries the CLI bundled into JavaScript in dist/ (built by `prepack`) and needs only the
// production dependencies; a source install (`npm link` of a checkout, which has no dist/) runs
// the TypeScript through tsx, a devDependency. Release builds are standalone executables.
// main.ts runs itself only as the program, so here it is imported and run once.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
}
const { runProcess } = await import(existsSync(compiled) ? compiled.href : '../src/cli/main.ts');
await runProcess();
