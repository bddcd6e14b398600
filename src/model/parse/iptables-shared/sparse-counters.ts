// A host's counter column as its iptables view keeps it: only the entries that are not "0", and
// where they are. The column is what a view holds of its own (~150k entries, ~0.5 MB a host at
// 10k Services, most of them 0:0), kept only so that evidence can quote a rule's counters.
export class SparseCounters {
  /** Per non-zero entry, where its text starts in `text`; found on the first lookup. */
  private starts: Int32Array | undefined;

  private constructor(
    /** The entry numbers of the non-zero entries, ascending. */
    private readonly at: Int32Array,
    /** Those entries' texts ("packets:bytes"), joined by ",". */
    private readonly text: string,
  ) {}

  /**
   * The non-zero entries of `column`, a counter column counterPlaces accepted: entries "0" or
   * "packets:bytes" joined by ",". Every non-zero entry has a ":" and a "0" entry none, and the
   * zero entries between two others are "0," each.
   */
  static of(column: string): SparseCounters {
    const at: number[] = [];
    const parts: string[] = [];
    let entry = 0;
    /** Where entry number `entry` starts. */
    let from = 0;
    for (let colon = column.indexOf(':'); colon !== -1; ) {
      const start = column.lastIndexOf(',', colon) + 1;
      entry += (start - from) / 2;
      let end = column.indexOf(',', colon);
      if (end === -1) end = column.length;
      at.push(entry);
      parts.push(column.slice(start, end));
      entry++;
      from = end + 1;
      colon = column.indexOf(':', from);
    }
    // join copies: the column itself is not kept.
    return new SparseCounters(Int32Array.from(at), parts.join(','));
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
      let at = 0;
      for (let i = 0; i < this.at.length; i++) {
        starts[i] = at;
        at = this.text.indexOf(',', at) + 1 || this.text.length + 1;
      }
      starts[this.at.length] = this.text.length + 1;
      this.starts = starts;
    }
    return this.text.slice(this.starts[q]!, this.starts[q + 1]! - 1);
  }
}
