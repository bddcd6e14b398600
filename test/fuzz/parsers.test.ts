// Fuzz for the section parsers (src/model/parse): truncated prefixes of every real fixture,
// random bytes and token soup, wrong JSON types, and 10 MB single lines. Each batch runs in a
// worker with a wall-clock guard, only to catch a hang: a parser that does not answer in time
// is terminated and the test fails. Seeded; set FUZZ_SEED to explore other inputs.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { HUGE, PARSERS, type Request } from './cases.ts';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20261123);
/** Generous: the batches take well under a second each; only a hang gets near this. */
const GUARD_MS = 5_000;
/** 10 MB of input takes a couple of seconds on a loaded two-core machine. */
const HUGE_GUARD_MS = 20_000;

let worker: Worker | undefined;

function getWorker(): Worker {
  worker ??= new Worker(new URL('./worker.mjs', import.meta.url));
  return worker;
}

function ask(req: Request, timeoutMs: number): Promise<{ inputs: number; problems: string[] }> {
  const w = getWorker();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      void w.terminate();
      worker = undefined;
      reject(new Error(`${JSON.stringify(req)}: no answer in ${timeoutMs} ms — a hang?`));
    }, timeoutMs);
    const onMessage = (m: { inputs: number; problems: string[] }) => {
      cleanup();
      resolve(m);
    };
    const onError = (e: Error) => {
      cleanup();
      worker = undefined;
      reject(e);
    };
    function cleanup() {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    }
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage(req);
  });
}

after(() => worker?.terminate());

async function expectClean(req: Request, timeoutMs = GUARD_MS, minInputs = 1): Promise<void> {
  const r = await ask(req, timeoutMs);
  assert.deepEqual(r.problems, [], `seed ${SEED}`);
  assert.ok(r.inputs >= minInputs, `ran ${r.inputs} inputs`);
}

for (const p of PARSERS) {
  describe(`fuzz ${p.name}`, () => {
    it('truncated prefixes of each fixture: a prefix of the whole result, and a warning', async () => {
      await expectClean({ parser: p.name, kind: 'truncate', seed: SEED }, GUARD_MS, 90);
    });
    it('random bytes, token soup, random JSON, other sections', async () => {
      await expectClean({ parser: p.name, kind: 'random', seed: SEED + 1 }, GUARD_MS, 300);
    });
    it('wrong JSON types (or mangled lines)', async () => {
      await expectClean({ parser: p.name, kind: 'wrong-types', seed: SEED + 2 }, GUARD_MS, 300);
    });
    it('10 MB single lines', async () => {
      for (const huge of Object.keys(HUGE)) await expectClean({ parser: p.name, kind: 'huge', huge }, HUGE_GUARD_MS);
    });
  });
}
