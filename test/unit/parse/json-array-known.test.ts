// mapJsonObjects finds an element another host printed the same without scanning it (json-array.ts
// knownAt): the text up to the first "}," is looked up. Whatever the elements hold — "}," inside
// a nested array or a string, an element that is a known one's prefix or extension, a cut-off or
// damaged array — what a host gets and the warnings it gets must be what a reading without
// `known` gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapJsonObjects } from '../../../src/model/parse/json-array.ts';
import { Warnings } from '../../../src/model/parse/warnings.ts';

const read = (text: string, known?: Map<string, string>): { items: string[]; warnings: string[] } => {
  const w = new Warnings();
  const items = mapJsonObjects(text, 'ip-route', w, (_f, raw) => raw, known);
  return { items, warnings: w.done() };
};

let seed = 20261204;
const rnd = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

/** Elements whose texts hold "}," and "}]" in nested values and strings, and prefixes of one another. */
const pool = [
  '{"dst":"10.0.0.0/24","dev":"eth0"}',
  '{"dst":"10.0.0.0/24","nexthops":[{"gateway":"1.1.1.1"},{"gateway":"1.1.1.2"}]}',
  '{"dst":"10.0.0.0/24","nexthops":[{"gateway":"1.1.1.1"}]}',
  '{"dst":"a},{b","dev":"eth0"}',
  '{"dst":"a}]b"}',
  '{"x":{"y":{}},"z":1}',
  '{"x":{"y":{}}}',
  '{"dst":"10.0.1.0/24","flags":["onlink"]}',
  '{}',
  '{"dst":"unterminated}',
  '{"dst":"10.0.2.0/24"}}',
  '1',
];

describe('mapJsonObjects with elements known from other hosts', () => {
  it('gives what reading every element gives, warnings included', () => {
    for (let t = 0; t < 3000; t++) {
      const known = new Map<string, string>();
      // Another host's reading fills `known`.
      const other = Array.from({ length: rnd(6) }, () => pool[rnd(pool.length)]!);
      read(`[${other.join(',')}]`, known);
      const els = Array.from({ length: rnd(7) }, () => pool[rnd(pool.length)]!);
      let text = `[${els.join(',')}]`;
      if (rnd(4) === 0) text = text.slice(0, rnd(text.length + 1));
      const want = read(text);
      const got = read(text, known);
      assert.deepEqual(got.warnings, want.warnings, text);
      assert.deepEqual(got.items, want.items, text);
    }
  });
});
