// SparseCounters keeps a host's non-zero counters only: every entry must read back as the column
// had it, wherever the non-zero ones fall (first, last, runs, none).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SparseCounters } from '../../../src/model/parse/iptables-shared/sparse-counters.ts';

function checkAll(entries: string[]): void {
  const s = SparseCounters.of(entries.join(','));
  entries.forEach((e, k) => assert.equal(s.entry(k), e, `entry ${k} of ${JSON.stringify(entries.join(','))}`));
}

describe('SparseCounters', () => {
  it('reads back every entry of hand-made columns', () => {
    checkAll([]);
    checkAll(['0']);
    checkAll(['12:34']);
    checkAll(['0', '0', '0']);
    checkAll(['5:6', '0', '0', '7:8']);
    checkAll(['0', '18446744073709551615:1', '0', '0', '0', '1:0', '2:2', '0']);
  });

  it('reads back every entry of random columns', () => {
    let seed = 20261204;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let t = 0; t < 300; t++) {
      const zeros = rnd(10);
      const entries = Array.from({ length: rnd(200) }, () => (rnd(10) < zeros ? '0' : `${rnd(1e6)}:${rnd(1e9)}`));
      checkAll(entries);
    }
  });
});
