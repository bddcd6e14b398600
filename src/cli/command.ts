// A CLI command as main.ts runs it: yargs declares its options, then `plan` checks every argument
// and flag — without touching a file, the network or the cluster — and returns the work. yargs
// only records which command was chosen, so a usage error it finds stops everything before the
// work starts (its handlers would otherwise run before its strict checks).
import type { Argv } from 'yargs';

/** Arguments as yargs parsed them: unchecked (a repeated flag is an array, a missing value ''). */
export type Args = Readonly<Record<string, unknown>>;

/** A command's work, every argument already checked. */
export type Work = () => Promise<void>;

export interface NetcheckCommand {
  /** yargs command string: name and positionals. */
  command: string;
  describe: string;
  builder: (y: Argv) => Argv;
  /** What shell completion offers for a positional argument (a prefix to go on typing after). */
  positionalCandidates?: readonly string[];
  /** Checks arguments and flags (no I/O but local path checks) and returns the work; throws InputError. */
  plan: (argv: Args) => Work | Promise<Work>;
}

/** The flags among `names` that were given (this CLI sets no yargs defaults for value flags). */
export function given(argv: Args, names: readonly string[]): string[] {
  return names.filter((n) => argv[n] !== undefined).map((n) => (n.length === 1 ? `-${n}` : `--${n}`));
}
