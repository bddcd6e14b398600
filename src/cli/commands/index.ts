// Every command of the CLI, in the order `--help` lists them.
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global-options.ts';
import { cleanupCommand } from './cleanup.ts';
import { collectCommand } from './collect.ts';
import { doctorCommand } from './doctor.ts';
import { externalIpCommand } from './externalip.ts';
import { lanCommand } from './lan.ts';
import { podToPodCommand } from './pod-to-pod.ts';
import { probeCommand } from './probe.ts';

// yargs' CommandModule is invariant in its args type; each module narrows GlobalArgs itself.
// biome-ignore lint/suspicious/noExplicitAny: yargs command modules differ in their argument types
export const commands: CommandModule<GlobalArgs, any>[] = [
  podToPodCommand,
  lanCommand,
  externalIpCommand,
  doctorCommand,
  collectCommand,
  cleanupCommand,
  probeCommand,
];
