// A host's counter column as its iptables view keeps it: only the entries that are not "0", and
// where they are. The column is what a view holds of its own (~150k entries, ~0.5 MB a host at
// 10k Services, most of them 0:0), kept only so that evidence can quote a rule's counters.
import { nonZeroEntries } from '../../../snapshot/v2/pieces.ts';

export class SparseCounters {
  private constructor(
    /** The entry numbers of the non-zero entries, ascending. */
    private readonly at: Int32Array,
    /** Those entries' texts ("packets:bytes"), one after another, as latin1 bytes. */
    private readonly text: Buffer,
    /** Per non-zero entry, where its text starts in `text`; one more at the end. */
    private readonly starts: Int32Array,
  ) {}

  /**
   * The non-zero entries of `column`, a counter column counterPlaces accepted: entries "0" or
   * "packets:bytes" (ASCII) joined by ","; `nonZero` is its nonZeroEntries (CounterPlaces has
   * them). Only those entries' bytes are copied, one native copy each.
   */
  static of(column: string, nonZero: Int32Array = nonZeroEntries(column).nonZero): SparseCounters {
    const k = nonZero.length / 3;
    const at = new Int32Array(k);
    const starts = new Int32Array(k + 1);
    if (k === 0) return new SparseCounters(at, Buffer.alloc(0), starts);
    const b = Buffer.from(column, 'latin1');
    let w = 0;
    for (let q = 0; q < k; q++) {
      at[q] = nonZero[3 * q]!;
      starts[q] = w;
      b.copyWithin(w, nonZero[3 * q + 1]!, nonZero[3 * q + 2]!);
      w += nonZero[3 * q + 2]! - nonZero[3 * q + 1]!;
    }
    starts[k] = w;
    // A copy of the kept bytes: the column's buffer is not kept.
    return new SparseCounters(at, Buffer.from(b.subarray(0, w)), starts);
  }

  /** Entry number `k` as the column had it: "0" or "packets:bytes". */
  entry(k: number): string {
    let lo = 0;
    let hi = this.at.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.at[mid]!;
      if (v === k) return this.item(mid);
      if (v < k) lo = mid + 1;
      else hi = mid - 1;
    }
    return '0';
  }

  private item(q: number): string {
    return this.text.toString('latin1', this.starts[q]!, this.starts[q + 1]!);
  }
}
