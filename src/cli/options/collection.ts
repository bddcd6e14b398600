// The flags of a live collection (probe pods), accepted by every command that collects.
import type { Argv } from 'yargs';
import type { LiveOptions } from '../../collect/live-source.ts';
import type { Args } from '../command.ts';
import { imageReference, list, namespaceName, objectName, text, wholeNumber } from './values.ts';

export const COLLECTION_FLAGS = [
  'image',
  'image-pull-secret',
  'probe-namespace',
  'timeout',
  'concurrency',
  'command-timeout',
] as const;

export function withCollectionOptions(y: Argv): Argv {
  return y
    .option('image', {
      type: 'string',
      requiresArg: true,
      describe: 'Image of the probe pods (default: nicolaka/netshoot:v0.13)',
    })
    .option('image-pull-secret', {
      type: 'string',
      requiresArg: true,
      describe: 'Image pull secret for the probe image, in the probe namespace (comma-separated or repeated)',
    })
    .option('probe-namespace', {
      type: 'string',
      requiresArg: true,
      describe: "Run probe pods in this existing namespace (it must allow privileged pods) instead of netcheck's own",
    })
    .option('timeout', {
      type: 'string',
      requiresArg: true,
      describe: 'Seconds to wait for a probe pod to start before giving up on its node (default 120)',
    })
    .option('concurrency', { type: 'string', requiresArg: true, describe: 'Probe pods started at once (default 20)' })
    .option('command-timeout', {
      type: 'string',
      requiresArg: true,
      describe: 'Seconds one probe command may run on a node (default 60)',
    })
    .group([...COLLECTION_FLAGS], 'Collection (probe pods):');
}

/** The part of a collection's options the flags set (cluster access aside), checked. */
export type ProbeSettings = Pick<
  LiveOptions,
  'image' | 'imagePullSecrets' | 'probeNamespace' | 'timeoutSeconds' | 'concurrency' | 'commandTimeoutSeconds'
>;

const DAY = 86_400;

export function probeSettings(argv: Args): ProbeSettings {
  const o: ProbeSettings = {};
  const image = imageReference('--image', argv['image']);
  if (image !== undefined) o.image = image;
  const secrets = list('--image-pull-secret', argv['image-pull-secret']);
  if (secrets !== undefined) o.imagePullSecrets = secrets.map((s) => objectName('--image-pull-secret', s));
  const ns = text('--probe-namespace', argv['probe-namespace']);
  if (ns !== undefined) o.probeNamespace = namespaceName('--probe-namespace', ns);
  const timeout = wholeNumber('--timeout', argv['timeout'], 1, DAY, 'a number of seconds');
  if (timeout !== undefined) o.timeoutSeconds = timeout;
  const concurrency = wholeNumber('--concurrency', argv['concurrency'], 1, 1000, 'a number of pods');
  if (concurrency !== undefined) o.concurrency = concurrency;
  const commandTimeout = wholeNumber('--command-timeout', argv['command-timeout'], 1, DAY, 'a number of seconds');
  if (commandTimeout !== undefined) o.commandTimeoutSeconds = commandTimeout;
  return o;
}

export function withNodesOption(y: Argv): Argv {
  return y.option('nodes', {
    type: 'string',
    requiresArg: true,
    describe: 'Probe only these nodes (comma-separated or repeated; default: all)',
  });
}

export function nodesFlag(argv: Args): string[] | undefined {
  return list('--nodes', argv['nodes'])?.map((n) => objectName('--nodes', n));
}
