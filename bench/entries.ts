// The ways a user runs netcheck, built for a benchmark in a scratch directory and removed after:
//  - "tsx": the TypeScript sources under Node + tsx (a source install, `npm link` of a checkout,
//    and `npm run netcheck`);
//  - "packed": bin/kubectl-netcheck.mjs beside dist/ bundled by scripts/build-dist.mjs, the
//    layout `prepack` gives the npm package (Node, no tsx);
//  - "bun": the release executable, `bun build --compile` as krew/build.ts makes it (skipped where
//    the pinned bun does not run).
// The packed copy lives in a directory inside the checkout, so its bare imports resolve to the
// checkout's node_modules as the package's bundled dependencies would.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bunRuns, compile } from '../krew/build.ts';
import { hostPlatform } from '../krew/platforms.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Entry {
  name: 'tsx' | 'packed' | 'bun';
  /** What it is, for the report line. */
  what: string;
  cmd: string;
  args: string[];
}

export interface Entries {
  entries: Entry[];
  /** Entries that could not be built, with why. */
  skipped: string[];
  /** Seconds each build took. */
  buildS: Partial<Record<Entry['name'], number>>;
  remove(): void;
}

/** Builds the entries named in `want` (default all three). */
export function buildEntries(want: readonly Entry['name'][] = ['tsx', 'packed', 'bun']): Entries {
  const dir = mkdtempSync(join(ROOT, '.bench-entries-'));
  const entries: Entry[] = [];
  const skipped: string[] = [];
  const buildS: Entries['buildS'] = {};
  const timedBuild = (name: Entry['name'], f: () => void): void => {
    const t0 = performance.now();
    f();
    buildS[name] = (performance.now() - t0) / 1000;
  };
  try {
    if (want.includes('tsx'))
      entries.push({
        name: 'tsx',
        what: 'node --import tsx src/cli/main.ts (source install)',
        cmd: process.execPath,
        args: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')],
      });
    if (want.includes('packed'))
      timedBuild('packed', () => {
        const b = spawnSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs'), join(dir, 'dist')], {
          cwd: ROOT,
          encoding: 'utf8',
        });
        if (b.status !== 0) throw new Error(`scripts/build-dist.mjs failed: ${b.stdout}${b.stderr}`);
        mkdirSync(join(dir, 'bin'));
        copyFileSync(join(ROOT, 'bin/kubectl-netcheck.mjs'), join(dir, 'bin/kubectl-netcheck.mjs'));
        copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
        entries.push({
          name: 'packed',
          what: 'bin/kubectl-netcheck.mjs + dist/ bundled by esbuild (npm package)',
          cmd: process.execPath,
          args: [join(dir, 'bin/kubectl-netcheck.mjs')],
        });
      });
    if (want.includes('bun')) {
      const bun = bunRuns();
      const p = hostPlatform();
      if (!bun.ok) skipped.push(`bun: ${bun.why}`);
      else if (p === undefined) skipped.push(`bun: no krew platform for ${process.platform}/${process.arch}`);
      else
        timedBuild('bun', () =>
          entries.push({
            name: 'bun',
            what: `bun ${bun.version} executable (release, krew)`,
            cmd: compile(p, join(dir, 'bun')),
            args: [],
          }),
        );
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { entries, skipped, buildS, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
