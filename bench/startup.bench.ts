// Start-up of the release executable: time from spawn to the first line of `kubectl-netcheck
// --help` on stdout (what a user waits for), median of N runs after warm-up runs (page cache).
// For scale, the same for an empty program compiled by the same bun (the runtime's own floor)
// and for the TypeScript sources under Node + tsx (the source install). Target: under 300 ms.
// Run: npm run bench -- startup
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bunPath, bunRuns, compile } from '../krew/build.ts';
import { REPO_ROOT } from '../krew/manifest.ts';
import { hostPlatform } from '../krew/platforms.ts';

const RUNS = 15;
const WARMUP = 3;

/** Milliseconds from spawn to the first newline on stdout. */
function firstLine(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let done = false;
    child.stdout.on('data', (d: Buffer) => {
      if (!done && d.includes(10)) {
        done = true;
        resolve(performance.now() - t0);
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      if (!done) reject(new Error(`${cmd} printed no line`));
    });
  });
}

async function median(cmd: string, args: readonly string[], runs: number): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await firstLine(cmd, args);
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await firstLine(cmd, args));
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

export async function run(): Promise<void> {
  const p = hostPlatform();
  const bun = bunRuns();
  if (!bun.ok) {
    console.log(`startup: skipped (${bun.why})`);
    return;
  }
  if (p === undefined) {
    console.log(`startup: skipped (no krew platform for ${process.platform}/${process.arch})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-startup-'));
  try {
    const exe = compile(p, dir);
    const empty = join(dir, 'empty.ts');
    writeFileSync(empty, 'console.log("ok");\n');
    const emptyExe = join(dir, 'empty');
    spawnSync(bunPath(), ['build', '--compile', `--target=${p.bunTarget}`, empty, '--outfile', emptyExe]);
    const t = await median(exe, ['--help'], RUNS);
    const floor = await median(emptyExe, [], RUNS);
    const viaNode = await median(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--help'], 5);
    console.log(
      `startup, kubectl-netcheck --help to first line (bun ${bun.version} executable, ${p.os}/${p.arch}): ${t.toFixed(0)} ms (median of ${RUNS}; target < 300 ms)`,
    );
    console.log(`startup, empty program compiled by the same bun: ${floor.toFixed(0)} ms (median of ${RUNS})`);
    console.log(
      `startup, node --import tsx src/cli/main.ts --help to first line: ${viaNode.toFixed(0)} ms (median of 5)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
