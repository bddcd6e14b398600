// The preamble every lab test shares: skip (naming why) where the machine cannot build a lab,
// start it, and stop it whatever the test does. Two shapes: one test that owns its lab
// (`withLab`), and a describe block whose tests share one (`sharedLab`).
import { after, before } from 'node:test';
import type { TestContext } from 'node:test';
import { node, vethName } from './builders.ts';
import { startLab } from './lab.ts';
import type { RunningLab, StartOptions } from './lab.ts';
import { labUnsupportedReason } from './support.ts';
import type { Lab } from './topology.ts';

/** Runs `body` on a lab built from `topology`, stopped afterwards; skips `t` when no lab can be built here. */
export async function withLab(
  t: TestContext,
  topology: Lab,
  opts: StartOptions,
  body: (lab: RunningLab) => Promise<void>,
): Promise<void> {
  const unsupported = await labUnsupportedReason();
  if (unsupported !== undefined) {
    t.skip(unsupported);
    return;
  }
  const lab = await startLab(topology, opts);
  try {
    await body(lab);
  } finally {
    await lab.stop();
  }
}

/**
 * For a describe block skipped by `{ skip }` (labUnsupportedReason): starts the lab before its
 * tests (`setup` runs next, on it) and stops it after them; the tests read it through the getter.
 */
export function sharedLab(
  topology: Lab | (() => Lab),
  opts: StartOptions,
  setup?: (lab: RunningLab) => Promise<void>,
): () => RunningLab {
  let lab: RunningLab | undefined;
  before(async () => {
    lab = await startLab(typeof topology === 'function' ? topology() : topology, opts);
    await setup?.(lab);
  });
  after(async () => {
    await lab?.stop();
  });
  return () => {
    if (lab === undefined) throw new Error('the lab is not running (its start failed, see before())');
    return lab;
  };
}

/** kubelet's hairpin-veth mode on these pods' bridge ports: a pod may reach itself through its Service (the bridge sends the frame back out the port it came in on). */
export function hairpinPorts(nodeName: string, pods: readonly string[]): Lab {
  return node(nodeName, {
    commands: pods.map((p) => ['bridge', 'link', 'set', 'dev', vethName('veth', p), 'hairpin', 'on']),
  });
}
