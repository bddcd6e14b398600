// Makes sure nothing a lab created outlives the process: a synchronous cleanup per running lab
// that runs on normal exit, on an uncaught exception (Node emits 'exit' then too) and on
// SIGINT/SIGTERM/SIGHUP; and removal, at the next start, of what a killed (SIGKILL) run left.
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execCapture } from './exec.ts';
import { labTmpRoot, ownerPid } from './naming.ts';

const NETNS_DIR = '/run/netns';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const live = new Map<string, () => void>();
let installed = false;

function runAllSync(): void {
  for (const fn of [...live.values()]) {
    try {
      fn();
    } catch {
      // Best effort: the process is going away; the next start removes whatever is left.
    }
  }
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  runAllSync();
  uninstall();
  // Our listener replaced the default action (terminate); restore it by raising the signal
  // again, unless someone else also listens and so decides what the signal means.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', runAllSync);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers the synchronous cleanup of one lab; hooks are installed only while a lab is alive. */
export function registerCleanup(key: string, fn: () => void): void {
  live.set(key, fn);
  install();
}

export function unregisterCleanup(key: string): void {
  live.delete(key);
  if (live.size === 0) uninstall();
}

/** Namespaces (from /run/netns, where `ip netns add` mounts them) whose name starts with `prefix`. */
export function listNetns(prefix = ''): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

function netnsDelBatch(names: readonly string[]): string {
  return names.map((n) => `netns del ${n}\n`).join('');
}

/** Deletes namespaces; -force keeps going past one that is already gone. */
export async function deleteNetns(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await execCapture(['ip', '-force', '-batch', '-'], { input: netnsDelBatch(names) });
}

export function deleteNetnsSync(names: readonly string[]): void {
  if (names.length === 0) return;
  spawnSync('ip', ['-force', '-batch', '-'], {
    input: netnsDelBatch(names),
    stdio: ['pipe', 'ignore', 'ignore'],
    timeout: 10_000,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function staleName(name: string): boolean {
  const pid = ownerPid(name);
  return pid !== undefined && pid !== process.pid && !alive(pid);
}

/**
 * Removes namespaces and file directories left by harness runs whose process is dead. Agents of
 * such a run exit by themselves when their stdin (a pipe from the dead process) closes.
 */
export async function removeStale(): Promise<string[]> {
  const stale = listNetns().filter(staleName);
  // Their agents normally exit when their stdin closes; anything else still inside is a leftover too.
  killAllIn(netnsInodes(stale));
  await deleteNetns(stale);
  let dirs: string[] = [];
  try {
    dirs = readdirSync(labTmpRoot()).filter(staleName);
  } catch {
    // No directory yet: nothing to remove.
  }
  for (const d of dirs) rmSync(join(labTmpRoot(), d), { recursive: true, force: true });
  return stale;
}

/** Inode of each namespace (the nsfs file `ip netns add` bind-mounts), by inode. */
export function netnsInodes(names: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const n of names) {
    try {
      out.set(statSync(`${NETNS_DIR}/${n}`).ino, n);
    } catch {
      // Not created (setup failed before it) or already gone.
    }
  }
  return out;
}

/**
 * Processes (other than this one) living in any of these namespaces, from /proc/PID/ns/net
 * (a link to `net:[INODE]`). A process there keeps the namespace alive after `ip netns del`.
 */
export function pidsInNetns(inodes: ReadonlySet<number> | ReadonlyMap<number, string>): number[] {
  if (inodes.size === 0) return [];
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${name}/ns/net`));
      if (m !== null && inodes.has(Number(m[1]))) out.push(Number(name));
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

/** SIGKILLs every process in the lab's namespaces: only the lab put processes there. */
export function killAllIn(inodes: ReadonlyMap<number, string>): number[] {
  const pids = pidsInNetns(inodes);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids;
}
