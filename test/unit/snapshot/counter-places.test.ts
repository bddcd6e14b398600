// counterPlaces finds each piece's counters by the non-zero entries only (every entry between two
// of them is "0,"): it must give what a walk over every entry gives, for any column and any holes,
// and refuse a column with one entry too many or too few.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterPlaces, nonZeroEntries } from '../../../src/snapshot/v2/pieces.ts';

/** The offsets a walk entry by entry gives (the definition), or undefined when the count is off. */
function walked(entries: string[], holes: number[]): number[] | undefined {
  if (holes.reduce((a, b) => a + b, 0) !== entries.length) return undefined;
  const off: number[] = [];
  let at = 0;
  let e = 0;
  for (const h of holes) {
    off.push(at);
    for (let k = 0; k < h; k++) at += entries[e++]!.length + 1;
  }
  off.push(entries.length === 0 ? 0 : at);
  return off;
}

function check(entries: string[], holes: number[]): void {
  const column = entries.join(',');
  const refs = holes.map((_, i) => i);
  const got = counterPlaces(column, refs, holes);
  const want = walked(entries, holes);
  const what = `${JSON.stringify(column)} holes ${JSON.stringify(holes)}`;
  if (want === undefined) return assert.equal(got, undefined, what);
  assert.deepEqual(got && Array.from(got.off), want, what);
  const nz = Array.from(got!.nonZero);
  const expected = entries.flatMap((x, k) => (x === '0' ? [] : [k]));
  assert.deepEqual(
    nz.filter((_, i) => i % 3 === 0),
    expected,
    what,
  );
  for (let i = 0; i < nz.length; i += 3) assert.equal(column.slice(nz[i + 1], nz[i + 2]), entries[nz[i]!], what);
}

describe('counterPlaces', () => {
  it('places hand-made columns', () => {
    check([], []);
    check([], [0, 0]);
    check(['0'], [0, 1]);
    check(['12:34'], [1]);
    check(['0', '0', '0'], [2, 0, 1]);
    check(['5:6', '0', '0', '7:8'], [1, 1, 0, 2]);
    check(['0', '1:2'], [2, 0]);
  });

  it('refuses a column with an entry too many or too few, or not a counter column', () => {
    assert.equal(counterPlaces('0,0', [0], [3]), undefined);
    assert.equal(counterPlaces('0,0,0,0', [0], [3]), undefined);
    assert.equal(counterPlaces('1:1,0', [0], [1]), undefined);
    assert.equal(counterPlaces('', [0], [1]), undefined);
    assert.equal(counterPlaces('00,0', [0], [2]), undefined);
    assert.equal(counterPlaces('0,,0', [0], [3]), undefined);
    assert.equal(counterPlaces('1:', [0], [1]), undefined);
  });

  it('places random columns over random holes as a walk does', () => {
    let seed = 20261204;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let t = 0; t < 500; t++) {
      const zeros = rnd(11);
      const entries = Array.from({ length: rnd(120) }, () => (rnd(10) < zeros ? '0' : `${rnd(1e6)}:${rnd(1e9)}`));
      const holes: number[] = [];
      for (let left = entries.length; left > 0; ) {
        const h = Math.min(left, rnd(6));
        holes.push(h);
        left -= h;
      }
      if (rnd(3) === 0) holes.splice(rnd(holes.length + 1), 0, 0);
      check(entries, holes);
      // One hole more or fewer somewhere: refused.
      if (holes.length > 0) {
        const off = [...holes];
        off[rnd(off.length)]! += rnd(2) === 0 ? 1 : -1;
        if (off.every((h) => h >= 0)) check(entries, off);
      }
    }
  });

  it('counts the entries of a column', () => {
    assert.equal(nonZeroEntries('').entries, 0);
    assert.equal(nonZeroEntries('0').entries, 1);
    assert.equal(nonZeroEntries('0,1:1,0,0').entries, 4);
    assert.equal(nonZeroEntries('1:1').entries, 1);
  });
});
