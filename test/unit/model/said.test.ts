// Said: words and parsed items, rendered only when quoted. The tag keeps items as items, merges
// words, flattens nested Saids, and the rendering is the item's own `ip` form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRoute, renderRule } from '../../../src/model/render/iproute2.ts';
import { text, texts } from '../../../src/model/render/said.ts';
import { itemSaid, said } from '../../../src/model/said.ts';
import { route, rule } from '../engine/model-builder.ts';

const r = route('10.244.1.0/24 via 192.168.1.12 dev eth0');
const pr = rule(100, { table: 100 });

test('words alone stay a plain string', () => {
  assert.equal(said`a ${1} b ${'c'}`, 'a 1 b c');
  assert.equal(said`${undefined}`, 'undefined');
});

test('an item is kept by reference, with the words around it merged', () => {
  const s = said`route "${{ route: r }}" (type ${r.type})`;
  assert.notEqual(typeof s, 'string');
  if (typeof s === 'string') return;
  assert.equal(s.parts.length, 3);
  assert.equal(s.parts[0], 'route "');
  assert.equal((s.parts[1] as { route: unknown }).route, r);
  assert.equal(s.parts[2], `" (type ${r.type})`);
  assert.equal(text(s), `route "${renderRoute(r)}" (type ${r.type})`);
});

test('a Said inside a Said is flattened: one list of words and items', () => {
  const inner = said`${{ rule: pr }}: ${{ route: r }}`;
  const outer = said`why: ${inner} (throw)`;
  assert.ok(typeof outer !== 'string');
  if (typeof outer === 'string') return;
  assert.deepEqual(
    outer.parts.map((p) => (typeof p === 'string' ? p : Object.keys(p)[0])),
    ['why: ', 'rule', ': ', 'route', ' (throw)'],
  );
  assert.equal(text(outer), `why: ${renderRule(pr)}: ${renderRoute(r)} (throw)`);
});

test('texts renders each line; an item alone renders as the tool prints it', () => {
  assert.deepEqual(texts(['x', itemSaid({ route: r })]), ['x', renderRoute(r)]);
});
