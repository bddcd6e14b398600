// Runs every benchmark in bench/, one after the other (`npm run bench`).
//
// Convention: each bench/*.bench.ts exports `async function run(): Promise<void>` that does its
// own setup, measures, and prints its figures with console.log (one line per figure, e.g.
// "iptables-save parse, 113000 rules (...): 420 ms (median of 7)"). Importing a bench file must
// not run anything; run.ts calls run(). Benchmarks print numbers and never fail on speed.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run?: () => Promise<void>;
}

const dir = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  // By the start of the name: `scale` is scale.bench.ts, not also collect-scale.bench.ts.
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

let failed = false;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as BenchModule;
  if (typeof mod.run !== 'function') {
    console.error(`${file}: does not export run()`);
    failed = true;
    continue;
  }
  await mod.run();
}
if (files.length === 0) console.error('no bench/*.bench.ts files');
process.exitCode = failed || files.length === 0 ? 1 : 0;
