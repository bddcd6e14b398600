// Every command of the CLI, in the order `--help` lists them.
import type { NetcheckCommand } from '../command.ts';
import { cleanupCommand } from './cleanup.ts';
import { collectCommand } from './collect.ts';
import { doctorCommand } from './doctor.ts';
import { externalIpCommand } from './externalip.ts';
import { lanCommand } from './lan.ts';
import { podToPodCommand } from './pod-to-pod.ts';
import { probeCommand } from './probe.ts';
import { traceCommand } from './trace.ts';

export const commands: readonly NetcheckCommand[] = [
  traceCommand,
  podToPodCommand,
  lanCommand,
  externalIpCommand,
  doctorCommand,
  collectCommand,
  cleanupCommand,
  probeCommand,
];
