// The installed entry point (bin/kubectl-netcheck.mjs), as a child process with its own
// kubeconfig. NETCHECK_CLI_ROOT points the suite at another checkout (to show a test failing on
// the code before a fix).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { CliResult } from '../apiserver/run-cli.ts';
import { REPO_ROOT } from '../apiserver/run-cli.ts';

const ROOT = process.env['NETCHECK_CLI_ROOT'] ?? REPO_ROOT;
export const ENTRY = join(ROOT, 'bin', 'kubectl-netcheck.mjs');

export interface Netcheck {
  child: ChildProcess;
  done: Promise<CliResult & { ms: number }>;
}

export function startNetcheck(kubeconfig: string, args: readonly string[]): Netcheck {
  const t0 = Date.now();
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1' };
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult & { ms: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })),
  );
  return { child, done };
}

export function netcheck(kubeconfig: string, args: readonly string[]): Promise<CliResult & { ms: number }> {
  return startNetcheck(kubeconfig, args).done;
}

/** The "error: ..." lines netcheck printed. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error: '));
}
