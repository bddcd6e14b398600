// Errors the harness throws. A setup failure names the step, the host, its namespace, the exact
// command and the tool's stderr, so a broken topology is fixed from the message alone.

/** The topology itself is wrong (unknown host, duplicate device, bad name); nothing was created. */
export class LabTopologyError extends Error {
  override readonly name = 'LabTopologyError';
}

/** A command the lab's setup runs is not installed; nothing was created. */
export class LabMissingCommandError extends Error {
  override readonly name = 'LabMissingCommandError';
  constructor(
    readonly missing: readonly string[],
    path: string,
  ) {
    super(`lab setup needs ${missing.join(', ')}, not found in PATH (${path}); nothing was created`);
  }
}

export interface FailedCommand {
  /** Setup step, e.g. 'routes', 'iptables'. */
  step: string;
  /** Lab host name, or undefined for commands run in the root namespace. */
  host?: string;
  /** Network namespace the command ran in, or undefined for the root namespace. */
  netns?: string;
  /** The command as a shell would show it (for a batch: the failing line, prefixed with the tool). */
  command: string;
  exitCode: number | null;
  stderr: string;
}

/** A command failed while building or running the lab. */
export class LabCommandError extends Error {
  override readonly name = 'LabCommandError';
  constructor(readonly failed: FailedCommand) {
    const where = failed.host === undefined ? 'root namespace' : `host "${failed.host}" (netns ${failed.netns ?? '?'})`;
    const err = failed.stderr.trim();
    super(
      `lab ${failed.step}: ${where}: \`${failed.command}\` exited ${failed.exitCode ?? 'without a status'}` +
        (err === '' ? '' : `: ${err}`),
    );
  }
}
