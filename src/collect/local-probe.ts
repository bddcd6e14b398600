// Runs the probe on the current host (`kubectl netcheck probe --local`): for nodes reached over
// SSH, and inside lab network namespaces. The live source runs the same PROBE_COMMANDS in pods.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostEntry } from '../snapshot/types.ts';
import {
  MAX_PROBE_FILE_BYTES,
  PROBE_COMMANDS,
  PROBE_DIRECTORIES,
  PROBE_FILES,
  fileSection,
} from './probe-commands.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when the command could not be started (see `startError`). */
  code: number | null;
  startError?: string;
}

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

/** One line saying why a section is missing, from a failed command. */
export function commandError(argv: readonly string[], r: CommandResult): string | undefined {
  if (r.startError !== undefined) return r.startError;
  if (r.code === 0) return undefined;
  const msg = r.stderr.trim().split('\n').slice(0, 3).join(' ').slice(0, 500);
  return `${argv[0] ?? ''} exited ${r.code}${msg ? `: ${msg}` : ''}`;
}

async function readSmallFile(path: string): Promise<string> {
  const st = await stat(path);
  if (st.size > MAX_PROBE_FILE_BYTES) throw new Error(`${path}: larger than ${MAX_PROBE_FILE_BYTES} bytes`);
  return readFile(path, 'utf8');
}

/**
 * Collects this host's entry. `root` prefixes file paths (tests point it at a fake /etc);
 * `run` runs one command (tests and namespaces wrap it).
 */
export async function probeLocal(
  opts: { run?: (argv: readonly string[]) => Promise<CommandResult>; root?: string } = {},
): Promise<HostEntry> {
  const run = opts.run ?? ((argv: readonly string[]) => runCommand(argv));
  const root = opts.root ?? '';
  const entry: HostEntry = { sections: {}, errors: {} };

  await Promise.all(
    PROBE_COMMANDS.map(async (c) => {
      const r = await run(c.argv);
      const err = commandError(c.argv, r);
      if (err === undefined) entry.sections[c.section] = r.stdout;
      else entry.errors[c.section] = err;
    }),
  );

  const paths: string[] = [];
  for (const d of PROBE_DIRECTORIES) {
    try {
      const names = await readdir(join(root, d.dir));
      for (const n of names.sort()) if (d.suffixes.some((s) => n.endsWith(s))) paths.push(join(d.dir, n));
    } catch (e) {
      entry.errors[fileSection(d.dir)] = `${d.dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  }
  for (const f of PROBE_FILES) paths.push(f.path);
  await Promise.all(
    paths.map(async (p) => {
      try {
        entry.sections[fileSection(p)] = await readSmallFile(join(root, p));
      } catch (e) {
        entry.errors[fileSection(p)] = `${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
      }
    }),
  );
  return sortEntry(entry);
}

/** Sections in a stable order so that snapshots diff cleanly. */
export function sortEntry(e: HostEntry): HostEntry {
  const sort = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return { sections: sort(e.sections), errors: sort(e.errors) };
}
