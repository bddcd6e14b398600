// A host's counter column as its iptables view keeps it: only the entries that are not "0", and
// where they are. The column is what a view holds of its own (~150k entries, ~0.5 MB a host at
// 10k Services, most of them 0:0), kept only so that evidence can quote a rule's counters.

const ZERO = 48;
const COMMA = 44;

export class SparseCounters {
  /** Per non-zero entry, where its text starts in `text`; found on the first lookup. */
  private starts: Int32Array | undefined;

  private constructor(
    /** The entry numbers of the non-zero entries, ascending. */
    private readonly at: Int32Array,
    /** Those entries' texts ("packets:bytes"), joined by ",", as latin1 bytes. */
    private readonly text: Buffer,
  ) {}

  /**
   * The non-zero entries of `column`, a counter column counterPlaces accepted: entries "0" or
   * "packets:bytes" (ASCII) joined by ",". A zero entry is "0" followed by "," or the end. The
   * column's bytes are compacted in place, byte by byte: a host's column is ~150k entries, and a
   * slice and a call per non-zero entry cost ~4 ms a host.
   */
  static of(column: string): SparseCounters {
    const b = Buffer.from(column, 'latin1');
    const n = b.length;
    const at: number[] = [];
    let w = 0;
    let entry = 0;
    for (let pos = 0; pos < n; entry++) {
      if (b[pos] === ZERO && (pos + 1 === n || b[pos + 1] === COMMA)) {
        pos += 2;
        continue;
      }
      at.push(entry);
      if (w > 0) b[w++] = COMMA;
      while (pos < n && b[pos] !== COMMA) b[w++] = b[pos++]!;
      pos++;
    }
    // A copy of the kept bytes: the column's buffer is not kept.
    return new SparseCounters(Int32Array.from(at), Buffer.from(b.subarray(0, w)));
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
    if (this.starts === undefined) {
      const starts = new Int32Array(this.at.length + 1);
      let i = 0;
      for (let pos = 0; pos < this.text.length; pos++) if (this.text[pos] === COMMA) starts[++i] = pos + 1;
      starts[this.at.length] = this.text.length + 1;
      this.starts = starts;
    }
    return this.text.toString('latin1', this.starts[q]!, this.starts[q + 1]! - 1);
  }
}
