// The snapshot reader on truncated, random and hostile input: an InputError, never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSnapshot, encodeSnapshot } from '../../src/snapshot/io.ts';
import { emptyObjects, SNAPSHOT_API_VERSION } from '../../src/snapshot/types.ts';
import { InputError } from '../../src/lib/errors.ts';
import { mulberry32 } from './prng.ts';

const good = encodeSnapshot(
  {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'Snapshot',
    capturedAt: 'x',
    objects: emptyObjects(),
    hosts: { n: { sections: { a: 'b' }, errors: {} } },
  },
  false,
);

function tryDecode(buf: Buffer): void {
  try {
    decodeSnapshot(buf, 'fuzz');
  } catch (e) {
    assert.ok(e instanceof InputError, `unexpected ${String(e)}`);
  }
}

test('every truncation of a valid snapshot', () => {
  for (let i = 0; i < good.length; i++) tryDecode(good.subarray(0, i));
  const gz = encodeSnapshot(JSON.parse(good.toString()), true);
  for (let i = 0; i < gz.length; i++) tryDecode(gz.subarray(0, i));
});

test('random bytes and mutated snapshots', () => {
  const rnd = mulberry32(20261123);
  for (let n = 0; n < 500; n++) {
    const len = Math.floor(rnd() * 400);
    tryDecode(Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256))));
    const m = Buffer.from(good);
    for (let k = 0; k < 3; k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    tryDecode(m);
  }
});

test('wrong JSON types in every position', () => {
  const values: unknown[] = [null, 1, 'x', [], {}, true, [[]], { a: null }];
  const base = JSON.parse(good.toString()) as Record<string, unknown>;
  for (const key of ['apiVersion', 'kind', 'objects', 'hosts', 'capturedAt', 'context', 'warnings']) {
    for (const v of values) tryDecode(Buffer.from(JSON.stringify({ ...base, [key]: v })));
  }
  for (const v of values) {
    tryDecode(Buffer.from(JSON.stringify({ ...base, objects: { nodes: v, pods: [v] } })));
    tryDecode(Buffer.from(JSON.stringify({ ...base, hosts: { n: v } })));
    tryDecode(Buffer.from(JSON.stringify({ ...base, hosts: { n: { sections: v, errors: v } } })));
  }
});

test('a 10 MB line and deep nesting', () => {
  tryDecode(
    Buffer.from(
      '{"kind":"Snapshot","apiVersion":"netcheck.dev/v1","hosts":{"n":{"sections":{"a":"' +
        'x'.repeat(10 * 1024 * 1024) +
        '"}}}}',
    ),
  );
  tryDecode(Buffer.from('['.repeat(100000)));
});
