// collectGarbage runs a full collection without --expose-gc: an object no longer referenced is gone
// after it (a WeakRef target survives until the job that made it ends, so it is dropped a tick before).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { collectGarbage } from '../../src/lib/collect-garbage.ts';

it('collects an object dropped before it', async () => {
  const refs: WeakRef<object>[] = [];
  (() => {
    for (let i = 0; i < 4; i++) refs.push(new WeakRef({ payload: new Array(1000).fill(i) }));
  })();
  await setImmediate();
  collectGarbage();
  assert.deepEqual(
    refs.map((r) => r.deref()),
    [undefined, undefined, undefined, undefined],
  );
});
