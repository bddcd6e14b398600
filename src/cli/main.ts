// Entry point: `kubectl netcheck ...` (kubectl finds the `kubectl-netcheck` executable on PATH).
//
// The contract (docs/install.md, "The command-line contract"): yargs parses, each command's `plan` checks every
// argument, and only then does the work run; a usage error is one line on stderr, exit 2, and
// nothing done. Exit 4 is a bug in netcheck. Each message is printed once.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { InputError, exitCodeOf, messageOf } from '../lib/errors.ts';
import type { Args, NetcheckCommand, Work } from './command.ts';
import { commands } from './commands/index.ts';
import { complete, completionCommand } from './completion.ts';
import { quietOnClosedPipe } from './closed-pipe.ts';
import { VERSION } from './version.ts';

/** Exit status of a bug: anything thrown that is not one of lib/errors.ts. */
export const EXIT_BUG = 4;

/** yargs' own messages can span lines ("Invalid values:\n  Argument: ..."): one line each. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** Whether yargs will print the help: --help or -h before any `--`. */
const wantsHelp = (args: readonly string[]): boolean => {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

/**
 * yargs also lays out the chosen command's whole help after running its handler, in case the
 * handler prints it (command.js handleValidationAndGetResult → usage.cacheHelpMessage): 80–230 ms
 * of string-width per run, measured on a loaded 2-core machine. netcheck's handlers only record
 * the command, and --help lays the help out anew, so the cache is never read: skipped. It is
 * yargs' internal API (yargs 18); where that is missing, nothing changes but the time.
 */
export function skipHelpCache(parser: unknown): void {
  type Usage = { cacheHelpMessage?: unknown };
  const internal = parser as { getInternalMethods?: () => { getUsageInstance?: () => Usage | undefined } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** Parses `args`: the chosen command's planned work, or undefined when yargs answered (--help, --version). */
async function parse(args: readonly string[]): Promise<Work | undefined> {
  const all = [...commands, completionCommand];
  let chosen: { cmd: NetcheckCommand; argv: Args } | undefined;
  let usage: string | undefined;
  const parser = yargs(args.slice())
    .scriptName('kubectl netcheck')
    .usage(
      '$0 <command> [options]\n\nExplains why A cannot reach B in a Kubernetes cluster: it reads the real network state of the nodes on the path and walks the packet through it, both ways.',
    )
    .command(
      all.map((cmd) => ({
        command: cmd.command,
        describe: cmd.describe,
        builder: cmd.builder,
        // Only recorded: yargs runs a handler before its own strict checks.
        handler: (argv: Args) => void (chosen = { cmd, argv }),
      })),
    )
    .demandCommand(1, 'Name a command')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .example(
      'kubectl netcheck collect -o snap.json.gz',
      'Snapshot the network state of every node, for offline analysis',
    )
    .example('kubectl netcheck collect --dry-run', 'Show the probe pods and commands first, and create nothing')
    .example('kubectl netcheck cleanup', 'Remove probe pods a killed run left behind')
    // yargs lays the help out before running any command (usage.js cacheHelpMessage, yargs 18):
    // ~0.1 s of string-width on each run. Unwrapped, that is only a join; wrapped layout is
    // needed only when the help is printed.
    .wrap(wantsHelp(args) ? Math.min(110, process.stdout.columns ?? 100) : null)
    .exitProcess(false)
    .fail((msg, err) => {
      // Usage errors only: handlers record, so they throw nothing.
      usage ??= oneLine(msg ?? messageOf(err));
    });
  if (!wantsHelp(args)) skipHelpCache(parser);
  await parser.parseAsync();
  if (usage !== undefined) {
    // The command named, also when yargs stopped before choosing it (a flag's missing value).
    const names = all.map((c) => c.command.split(' ')[0]);
    const name = chosen?.cmd.command.split(' ')[0] ?? args.find((a) => names.includes(a));
    throw new InputError(`${usage} (see kubectl netcheck ${name !== undefined ? `${name} ` : ''}--help)`);
  }
  return chosen === undefined ? undefined : chosen.cmd.plan(chosen.argv);
}

export async function main(args: readonly string[]): Promise<number> {
  // Cobra's completion protocol, which kubectl uses for plugins (completion.ts).
  if (args[0] === '__complete') {
    process.stdout.write(complete(args.slice(1)));
    return 0;
  }
  try {
    const work = await parse(args);
    await work?.();
  } catch (e) {
    const code = exitCodeOf(e);
    if (code === undefined) {
      process.stderr.write(
        `netcheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nPlease report it with the snapshot (kubectl netcheck collect).\n`,
      );
      return EXIT_BUG;
    }
    process.stderr.write(`error: ${messageOf(e)}\n`);
    return code;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

/** Runs the CLI as the process: `main` with the process's arguments, its status as the exit status. */
export async function runProcess(): Promise<void> {
  quietOnClosedPipe();
  try {
    process.exitCode = await main(hideBin(process.argv));
  } catch (e) {
    process.stderr.write(`netcheck: internal error: ${String(e)}\n`);
    process.exitCode = EXIT_BUG;
  }
}

/**
 * Whether this module is the program (`node --import tsx src/cli/main.ts`, the release executable)
 * rather than imported (bin/kubectl-netcheck.mjs, tests). Matching the script's name instead ran
 * the CLI twice under `npm link`, whose `kubectl-netcheck` imports this module.
 */
function isProgram(): boolean {
  const meta = import.meta as ImportMeta & { main?: boolean };
  if (typeof meta.main === 'boolean') return meta.main; // bun, Node >= 24.2
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgram()) await runProcess();
