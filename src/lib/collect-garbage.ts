// A full garbage collection at a phase boundary the caller knows: when a large snapshot has just
// been turned into a model, most of the heap is the snapshot's garbage, and V8 (heap limit
// ~4 GB here) would sooner grow the heap for the analysis than collect it: a 1,000-node doctor
// peaked at 2.0-2.3 GB RSS without, 1.6 GB with. Node exposes no collect call without a flag;
// V8 installs its gc extension in every context created while --expose-gc is set, so the flag
// set at run time gives a fresh vm context a gc(). The bun release executable has Bun.gc.
// Where neither is offered, V8 collects when it will.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bun's API, in the bun release executable. */
const bunApi = (): { gc(force: boolean): void } | undefined =>
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;

export function collectGarbage(): void {
  const bun = bunApi();
  if (bun !== undefined) {
    bun.gc(true);
    return;
  }
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Not offered: nothing lost but memory.
  }
}

/** Hosts built between two young collections (collectYoungGarbage). */
export const YOUNG_GARBAGE_HOSTS = 50;

/**
 * A collection of the young generation only, where the runtime needs one: in the bun release
 * executable (JavaScriptCore's eden collection, Bun.gc(false)). Building a 1,000-node model leaves
 * each host's reading as garbage that JavaScriptCore kept until the end (model build peak 2.40 GB
 * RSS; with an eden collection every 50 hosts 1.57 GB, +0.07 s), and each doctor check its own
 * (whole doctor 2.63 GB; with these and one after each check 1.88 GB, 18.2 → 14.7 s). V8's
 * scavenger already collects the young generation as it fills: nothing to do under Node.
 */
export function collectYoungGarbage(): void {
  bunApi()?.gc(false);
}
