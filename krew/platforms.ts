// The platforms the krew manifest offers, and the bun target that builds each.
//
// krew selects a platform entry by matching {os, arch} labels against Go's GOOS/GOARCH names
// (krew: internal/installation/platform.go, overridable with KREW_OS/KREW_ARCH), so the labels
// here are Go's names; the bun targets are bun's (`bun build --compile --target=...`).
// Bun ships a native Windows arm64 runtime (npm package @oven/bun-windows-aarch64, target
// bun-windows-arm64) since 1.3.x, so windows/arm64 gets a native build rather than the x64 build
// under Windows 11's x64 emulation (which would also work, but slower and with a second JIT tier
// translated at run time).

export type KrewOs = 'linux' | 'darwin' | 'windows';
export type KrewArch = 'amd64' | 'arm64';

export interface Platform {
  os: KrewOs;
  arch: KrewArch;
  /** `bun build --compile --target` value. */
  bunTarget: string;
  /** Archive type: krew accepts .tar.gz and .zip (it sniffs the content, not the name). */
  archive: 'tar.gz' | 'zip';
}

export const PLATFORMS: readonly Platform[] = [
  { os: 'linux', arch: 'amd64', bunTarget: 'bun-linux-x64', archive: 'tar.gz' },
  { os: 'linux', arch: 'arm64', bunTarget: 'bun-linux-arm64', archive: 'tar.gz' },
  { os: 'darwin', arch: 'amd64', bunTarget: 'bun-darwin-x64', archive: 'tar.gz' },
  { os: 'darwin', arch: 'arm64', bunTarget: 'bun-darwin-arm64', archive: 'tar.gz' },
  { os: 'windows', arch: 'amd64', bunTarget: 'bun-windows-x64', archive: 'zip' },
  { os: 'windows', arch: 'arm64', bunTarget: 'bun-windows-arm64', archive: 'zip' },
];

/** The executable's name inside the archive and on PATH: kubectl finds plugins by this name. */
export function binName(p: Pick<Platform, 'os'>): string {
  return p.os === 'windows' ? 'kubectl-netcheck.exe' : 'kubectl-netcheck';
}

/** The release asset's file name, e.g. kubectl-netcheck_v0.1.0_linux_amd64.tar.gz. */
export function archiveName(p: Platform, version: string): string {
  return `kubectl-netcheck_v${version}_${p.os}_${p.arch}.${p.archive}`;
}

/** The platform of this machine, or undefined when the manifest offers none for it. */
export function hostPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): Platform | undefined {
  const os: KrewOs | undefined =
    platform === 'linux' ? 'linux' : platform === 'darwin' ? 'darwin' : platform === 'win32' ? 'windows' : undefined;
  const a: KrewArch | undefined = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  return PLATFORMS.find((p) => p.os === os && p.arch === a);
}
