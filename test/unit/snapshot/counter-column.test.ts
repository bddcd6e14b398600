// CounterColumn keeps a host's non-zero counters only, found by their ":" (every entry between two
// of them is "0,"): every entry must read back as the column had it, in any order and in sequence,
// the whole column must come back as its text, runs must compare as their texts do, and text
// that is not a counter column must be refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CounterColumn, isCounterColumn } from '../../../src/snapshot/v2/counter-column.ts';

function checkAll(entries: string[]): CounterColumn {
  const text = entries.join(',');
  const c = CounterColumn.read(text);
  const what = JSON.stringify(text);
  assert.ok(c !== undefined, what);
  assert.equal(c.entries, entries.length, what);
  entries.forEach((e, k) => assert.equal(c.entry(k), e, `entry ${k} of ${what}`));
  assert.equal(c.text(), text, what);
  for (const from of [0, entries.length >> 1, entries.length]) {
    const next = c.reader(from);
    for (let k = from; k < entries.length; k++) assert.equal(next(), entries[k], `read ${k} from ${from} of ${what}`);
  }
  return c;
}

let seed = 20261204;
const rnd = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const randomEntries = (length: number, zeros: number): string[] =>
  Array.from({ length }, () => (rnd(10) < zeros ? '0' : `${rnd(1e6)}:${rnd(1e9)}`));

describe('CounterColumn', () => {
  it('reads back every entry of hand-made columns', () => {
    checkAll([]);
    checkAll(['0']);
    checkAll(['12:34']);
    checkAll(['0', '0', '0']);
    checkAll(['5:6', '0', '0', '7:8']);
    checkAll(['0', '18446744073709551615:1', '0', '0', '0', '1:0', '2:2', '0']);
    checkAll(['0:0', '0']);
  });

  it('reads back every entry of random columns', () => {
    for (let t = 0; t < 300; t++) checkAll(randomEntries(rnd(200), rnd(11)));
  });

  it('refuses text that is not a counter column', () => {
    for (const bad of ['00', '0,,0', '1:', ':1', '1:1,', ',0', '0 ', '1:1:1', 'x'])
      assert.equal(CounterColumn.read(bad), undefined, bad);
  });

  it('tells a counter column as the RegExp that defines one does', () => {
    const definition = /^(?:(?:0|\d+:\d+)(?:,(?:0|\d+:\d+))*)?$/;
    const alphabet = ['0', '0', '1', '9', ':', ',', ',', 'x', ' ', '٣'];
    for (let t = 0; t < 20000; t++) {
      const s = Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]!).join('');
      assert.equal(isCounterColumn(s), definition.test(s), JSON.stringify(s));
    }
    for (const s of ['', '0', '0,0', '00:1', '0:5', '1:2,0', '05', '0,', ',', '1:2:3', '1::2', '0,,0'])
      assert.equal(isCounterColumn(s), definition.test(s), JSON.stringify(s));
  });

  it('tells a count over 20 digits (which parseCount refuses)', () => {
    assert.equal(CounterColumn.read('0,18446744073709551615:1')!.long, false);
    assert.equal(CounterColumn.read(`0,${'9'.repeat(21)}:1,0`)!.long, true);
    assert.equal(CounterColumn.read(`1:${'9'.repeat(21)}`)!.long, true);
  });

  it('compares runs of entries as their texts compare', () => {
    for (let t = 0; t < 400; t++) {
      const a = randomEntries(rnd(40), rnd(11));
      // b: a's entries with a few changed, moved by a few places.
      const shift = rnd(4);
      const b = [...randomEntries(shift, 5), ...a.map((e) => (rnd(8) === 0 ? randomEntries(1, 5)[0]! : e))];
      const ca = checkAll(a);
      const cb = checkAll(b);
      for (let k = 0; k < 10; k++) {
        const from = rnd(a.length + 1);
        const n = rnd(a.length - from + 1);
        const want = a.slice(from, from + n).join(',') === b.slice(from + shift, from + shift + n).join(',');
        assert.equal(ca.sameRun(from, cb, from + shift, n), want, `${a} [${from}, +${n}) vs ${b} from ${from + shift}`);
        assert.equal(cb.sameRun(from + shift, ca, from, n), want);
      }
    }
  });
});
