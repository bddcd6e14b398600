// The release build (`npm run build:krew`): one standalone executable per krew platform, made by
// `bun build --compile` (the bun runtime and the bundled CLI in one file: no Node needed on the
// user's machine), each packed with LICENSE into the archive krew downloads, and the sha256 of
// each archive written into plugin.yaml.
//
//   npm run build:krew                  all six platforms, rewrites plugin.yaml
//   npm run build:krew -- --host        this machine's platform only (CI); plugin.yaml untouched
//   npm run build:krew -- --out DIR     write into DIR instead of dist/krew
//
// Outputs: DIR/<os>_<arch>/kubectl-netcheck[.exe] and DIR/kubectl-netcheck_v<version>_<os>_<arch>.<tar.gz|zip>.
// Cross-compiling makes bun fetch the target's runtime from the npm registry (@oven/bun-<target>)
// once; it is cached in ~/.bun/install/cache.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tarGz, zip } from './archive.ts';
import type { ArchiveEntry } from './archive.ts';
import { adhocSign } from './macho-sign.ts';
import { checkMachoSignature } from './macho-signature.ts';
import { MANIFEST_PATH, REPO_ROOT, packageVersion, platformKey, readChecksums, renderManifest } from './manifest.ts';
import { PLATFORMS, archiveName, binName, hostPlatform } from './platforms.ts';
import type { Platform } from './platforms.ts';

export const ENTRY = join(REPO_ROOT, 'src/cli/main.ts');
export const DEFAULT_OUT = join(REPO_ROOT, 'dist/krew');

/**
 * The bun executable of the pinned devDependency (never a bun found elsewhere on PATH). Bun's
 * postinstall moves the platform package's binary (@oven/bun-<os>-<arch>) over the placeholder
 * node_modules/bun/bin/bun.exe; where install scripts did not run, the binary is still in the
 * platform package.
 */
export function bunPath(): string {
  const placeholder = join(REPO_ROOT, 'node_modules/bun/bin/bun.exe');
  if (existsSync(placeholder) && statSync(placeholder).size > 1 << 20) return placeholder;
  const oven = join(REPO_ROOT, 'node_modules/@oven');
  const found = (existsSync(oven) ? readdirSync(oven) : [])
    .flatMap((d) => [join(oven, d, 'bin/bun'), join(oven, d, 'bin/bun.exe')])
    .find((c) => existsSync(c));
  if (found === undefined) throw new Error('bun is not installed: run npm ci (bun is a devDependency)');
  return found;
}

/** Can the pinned bun run here? (It has no build for some platforms, e.g. linux/ppc64le.) */
export function bunRuns(): { ok: true; version: string } | { ok: false; why: string } {
  let bun: string;
  try {
    bun = bunPath();
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
  const r = spawnSync(bun, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, why: `${bun} --version failed: ${r.error?.message ?? r.stderr.trim()}` };
  return { ok: true, version: r.stdout.trim() };
}

export interface Built {
  platform: Platform;
  /** The executable. */
  binary: string;
  archive: string;
  sha256: string;
  binaryBytes: number;
  archiveBytes: number;
}

/** Compiles the CLI for one platform into DIR/<os>_<arch>/. */
export function compile(p: Platform, outDir: string): string {
  const dir = join(outDir, `${p.os}_${p.arch}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, binName(p));
  // --bytecode: JavaScriptCore bytecode compiled at build time, so start-up skips parsing the
  // 1.3 MB bundle (--help: ~90 ms instead of ~200 ms here; bench/startup.bench.ts); it needs
  // --format=esm for an ES module entry. --minify-syntax and --minify-whitespace only:
  // identifiers stay, so stack traces in bug reports still name our functions.
  const args = [
    'build',
    '--compile',
    '--bytecode',
    '--format=esm',
    `--target=${p.bunTarget}`,
    '--minify-syntax',
    '--minify-whitespace',
    ENTRY,
    '--outfile',
    out,
  ];
  const r = spawnSync(bunPath(), args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new Error(`bun build --target=${p.bunTarget} failed:\n${r.stdout}${r.stderr}${r.error?.message ?? ''}`);
  if (p.os === 'darwin') signForMacos(out);
  return out;
}

/**
 * Apple silicon kills a process whose pages do not match its code signature, and a hardened-runtime
 * signature makes Intel Macs do the same. Bun signs darwin/arm64 output validly but leaves
 * darwin/amd64 output with the runtime's original, now invalid, signature: re-sign what fails.
 */
export function signForMacos(file: string): void {
  const data = readFileSync(file);
  if (checkMachoSignature(data).ok) return;
  const signed = adhocSign(data, 'kubectl-netcheck');
  const check = checkMachoSignature(signed);
  if (!check.ok) throw new Error(`${file}: ad-hoc signing failed: ${check.problems.join('; ')}`);
  writeFileSync(file, signed);
}

/** Packs the executable and LICENSE into the release archive. */
export function pack(p: Platform, binary: string, outDir: string, version: string): string {
  const entries: ArchiveEntry[] = [
    { name: binName(p), data: readFileSync(binary), mode: 0o755 },
    { name: 'LICENSE', data: readFileSync(join(REPO_ROOT, 'LICENSE')), mode: 0o644 },
  ];
  const file = join(outDir, archiveName(p, version));
  writeFileSync(file, p.archive === 'zip' ? zip(entries) : tarGz(entries));
  return file;
}

export function build(p: Platform, outDir: string, version: string): Built {
  const binary = compile(p, outDir);
  const archive = pack(p, binary, outDir, version);
  const data = readFileSync(archive);
  return {
    platform: p,
    binary,
    archive,
    sha256: createHash('sha256').update(data).digest('hex'),
    binaryBytes: readFileSync(binary).length,
    archiveBytes: data.length,
  };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function cli(argv: string[]): Promise<void> {
  const host = argv.includes('--host');
  const outIdx = argv.indexOf('--out');
  const outDir = outIdx >= 0 && argv[outIdx + 1] !== undefined ? resolve(argv[outIdx + 1]!) : DEFAULT_OUT;
  const version = packageVersion();
  let targets: readonly Platform[] = PLATFORMS;
  if (host) {
    const hp = hostPlatform();
    if (hp === undefined) throw new Error(`no krew platform for ${process.platform}/${process.arch}`);
    targets = [hp];
  }
  const sums = readChecksums(existsSync(MANIFEST_PATH) ? readFileSync(MANIFEST_PATH, 'utf8') : '');
  for (const p of targets) {
    const b = build(p, outDir, version);
    sums[platformKey(p)] = b.sha256;
    process.stdout.write(
      `${platformKey(p).padEnd(14)} ${mib(b.binaryBytes).padStart(10)} binary, ${mib(b.archiveBytes).padStart(9)} ${b.archive}\n`,
    );
  }
  if (!host) {
    writeFileSync(MANIFEST_PATH, renderManifest(version, sums));
    process.stdout.write(`wrote ${MANIFEST_PATH} (v${version})\n`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(REPO_ROOT, 'krew/build.ts')) {
  cli(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
