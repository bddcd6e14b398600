// Runs commands in the root namespace or inside a lab namespace, feeding stdin when asked, and
// turns failures into LabCommandError. `ip`/`bridge` batches (one process for many commands)
// keep setup fast; on failure they print "Command failed -:N", which names the line that failed.
import { spawn } from 'node:child_process';
import type { CommandResult } from '../../../src/collect/local-probe.ts';
import { LabCommandError } from './errors.ts';

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
}

/** Runs one argv and collects its output; never throws. */
export function execCapture(argv: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  return new Promise((resolve) => {
    if (cmd === undefined) {
      resolve({ stdout: '', stderr: '', code: null, startError: 'empty command' });
      return;
    }
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      timeout: opts.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // A command that exits before reading its stdin makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    let startError: string | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      startError = e.code === 'ENOENT' ? `${cmd}: not found` : `${cmd}: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      const r: CommandResult = {
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: signal === null ? code : null,
      };
      if (startError !== undefined) r.startError = startError;
      else if (signal !== null) r.startError = `${cmd}: killed by ${signal}`;
      resolve(r);
    });
  });
}

/** argv that runs `argv` inside namespace `ns` (iproute2 `ip netns exec`, which also remounts /sys). */
export function inNetns(ns: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/**
 * `ip netns exec` reports a missing program as `exec of "X" failed: No such file or directory`
 * with status 255 (iproute2 lib/exec.c); the probe expects the same "X: not found" a direct
 * exec gives, so that a snapshot taken in the lab looks like one taken on a node.
 */
export function normalizeNetnsResult(argv: readonly string[], r: CommandResult): CommandResult {
  if (r.code === 255 && /^exec of ".*" failed: No such file or directory/m.test(r.stderr)) {
    return { stdout: r.stdout, stderr: r.stderr, code: null, startError: `${argv[0] ?? ''}: not found` };
  }
  return r;
}

export interface Where {
  step: string;
  host?: string;
  netns?: string;
}

function fail(where: Where, command: string, r: CommandResult): never {
  throw new LabCommandError({
    ...where,
    command,
    exitCode: r.code,
    stderr: r.startError !== undefined ? `${r.startError}\n${r.stderr}` : r.stderr,
  });
}

/** Runs argv (already wrapped for its namespace) and throws a LabCommandError unless it exits 0. */
export async function mustExec(where: Where, argv: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
  const r = await execCapture(argv, opts);
  if (r.code !== 0 || r.startError !== undefined) fail(where, argv.join(' '), r);
  return r;
}

/**
 * Runs `tool [-n NS] -batch -` with one command per line. Stops at the first failing line
 * (no -force) and names it in the error.
 */
export async function mustBatch(where: Where, tool: 'ip' | 'bridge', lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const argv = [tool, ...(where.netns !== undefined ? ['-n', where.netns] : []), '-batch', '-'];
  const r = await execCapture(argv, { input: `${lines.join('\n')}\n` });
  if (r.code === 0 && r.startError === undefined) return;
  const m = /Command failed -:(\d+)/.exec(r.stderr);
  const line = m !== null ? lines[Number(m[1]) - 1] : undefined;
  const command =
    line !== undefined ? `${tool}${where.netns !== undefined ? ` -n ${where.netns}` : ''} ${line}` : argv.join(' ');
  fail(where, command, { ...r, stderr: r.stderr.replace(/\n?Command failed -:\d+\s*$/, '') });
}
