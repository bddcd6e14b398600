// Runs the probe on the current host (`kubectl netcheck probe --local`): for nodes reached over
// SSH, and inside lab network namespaces. The live source runs the same PROBE_COMMANDS in pods.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostEntry } from '../snapshot/types.ts';
import { MAX_PROBE_FILE_BYTES } from '../snapshot/sections.ts';
import { collectHost } from './collect-host.ts';
import type { CommandResult, HostAccess, ReadResult } from './collect-host.ts';

export { commandError, sortEntry } from './collect-host.ts';
export type { CommandResult } from './collect-host.ts';

/** Runs one argv; never throws. 256 MiB is far above a 100k-rule iptables-save (~25 MiB). */
export function runCommand(argv: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  return new Promise((resolve) => {
    if (cmd === undefined) {
      resolve({ stdout: '', stderr: '', code: null, startError: 'empty command' });
      return;
    }
    execFile(
      cmd,
      args,
      { maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        if (e.code === 'ENOENT') {
          resolve({ stdout: '', stderr: '', code: null, startError: `${cmd}: not found` });
        } else if (e.killed === true) {
          resolve({ stdout, stderr, code: null, startError: `${cmd}: timed out after ${timeoutMs} ms` });
        } else {
          resolve({ stdout, stderr, code: typeof e.code === 'number' ? e.code : 1 });
        }
      },
    );
  });
}

async function readSmallFile(path: string): Promise<ReadResult<string>> {
  try {
    const st = await stat(path);
    if (st.size > MAX_PROBE_FILE_BYTES) return { ok: false, error: `larger than ${MAX_PROBE_FILE_BYTES} bytes` };
    return { ok: true, value: await readFile(path, 'utf8') };
  } catch (e) {
    return { ok: false, error: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
}

/** Reaches this host: commands through `run`, files below `root`. */
export function localAccess(run: (argv: readonly string[]) => Promise<CommandResult>, root: string): HostAccess {
  return {
    run,
    listDir: async (dir) => {
      try {
        return { ok: true, value: await readdir(join(root, dir)) };
      } catch (e) {
        return { ok: false, error: (e as NodeJS.ErrnoException).code ?? String(e) };
      }
    },
    readFiles: async (paths) =>
      new Map(await Promise.all(paths.map(async (p) => [p, await readSmallFile(join(root, p))] as const))),
  };
}

/**
 * Collects this host's entry. `root` prefixes file paths (tests point it at a fake /etc);
 * `run` runs one command (tests and namespaces wrap it).
 */
export async function probeLocal(
  opts: { run?: (argv: readonly string[]) => Promise<CommandResult>; root?: string } = {},
): Promise<HostEntry> {
  return collectHost(localAccess(opts.run ?? ((argv: readonly string[]) => runCommand(argv)), opts.root ?? ''));
}
