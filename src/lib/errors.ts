// Errors the CLI turns into one line and an exit status (docs/architecture.md "Exit status and output").
// Anything else that escapes is a bug and is reported as such.

/** Bad usage or bad input: an unknown pod, an address that is not an IP, a file that is not a snapshot. Exit 2. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = 2;
}

/** Could not talk to the cluster or collect. Exit 3. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  readonly exitCode = 3;
}

export function exitCodeOf(e: unknown): number | undefined {
  return e instanceof InputError || e instanceof ClusterError || e instanceof InterruptedError ? e.exitCode : undefined;
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Stopped by SIGINT or SIGTERM after cleaning up. Exit 128 + signal number, as a shell reports it. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly exitCode: number;
  constructor(
    readonly signal: 'SIGINT' | 'SIGTERM',
    message: string,
  ) {
    super(message);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}
