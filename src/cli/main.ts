// Entry point: `kubectl netcheck ...` (kubectl finds the `kubectl-netcheck` executable on PATH).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeOf, messageOf } from '../lib/errors.ts';
import { withGlobalOptions } from './global-options.ts';
import { commands } from './commands/index.ts';
import { complete, completionCommand } from './completion.ts';
import { VERSION } from './version.ts';

export async function main(args: readonly string[]): Promise<number> {
  // Cobra's completion protocol, which kubectl uses for plugins (completion.ts).
  if (args[0] === '__complete') {
    process.stdout.write(complete(args.slice(1)));
    return 0;
  }
  let failure: { message: string; code: number } | undefined;
  const parser = withGlobalOptions(yargs(args.slice()))
    .scriptName('kubectl netcheck')
    .usage(
      '$0 <command> [options]\n\nExplains why A cannot reach B in a Kubernetes cluster: it reads the real network state of the nodes on the path and walks the packet through it, both ways.',
    )
    .command(commands)
    .command(completionCommand)
    .demandCommand(1, 'Name a command (see --help).')
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
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs calls this for usage errors (msg) and for errors thrown by handlers (err).
      if (err !== undefined && err !== null) {
        const code = exitCodeOf(err);
        if (code === undefined) throw err;
        failure = { message: messageOf(err), code };
      } else {
        failure = { message: msg, code: 2 };
      }
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    const code = exitCodeOf(e);
    if (code !== undefined) failure = { message: messageOf(e), code };
    else {
      process.stderr.write(
        `netcheck: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nPlease report it with the snapshot (kubectl netcheck collect).\n`,
      );
      return 4;
    }
  }
  if (failure !== undefined) {
    process.stderr.write(`error: ${failure.message}\n`);
    return failure.code;
  }
  return process.exitCode === undefined ? 0 : Number(process.exitCode);
}

/** True when this module was started as the program (it then runs main itself). */
export const isMain =
  process.argv[1] !== undefined && /(?:main\.ts|kubectl-netcheck(?:\.m?js)?|netcheck(?:\.exe)?)$/.test(process.argv[1]);
if (isMain) {
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`netcheck: internal error: ${String(e)}\n`);
      process.exitCode = 4;
    },
  );
}
