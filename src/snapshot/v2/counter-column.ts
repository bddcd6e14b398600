// A host's counter column (docs/snapshot.md, "v2": each counter lifted out of its iptables-save
// text, "packets:bytes" or "0" for 0:0, joined by ","), held as its non-zero entries only. At 10k
// Services a host's column is ~150k entries, ~0.5 MB of text, most of it "0": a 1,000-node
// snapshot held every column as text (~0.5 GB) from its reading until its model was built.

const COMMA = 44;
const COLON = 58;
const ZERO = 48;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Whether `s` is a counter column: entries "0" or "packets:bytes" (ASCII digits) joined by ",",
 * as /^(?:(?:0|\d+:\d+)(?:,(?:0|\d+:\d+))*)?$/ says. Read by hand: JavaScriptCore (the bun
 * release binary) ran that RegExp at ~0.2 s a host (~0.5 MB a column), 200 s at 1,000 nodes.
 */
export function isCounterColumn(s: string): boolean {
  const n = s.length;
  if (n === 0) return true;
  for (let i = 0; ; ) {
    if (s.charCodeAt(i) === ZERO && (i + 1 === n || s.charCodeAt(i + 1) === COMMA)) i++;
    else {
      let d = i;
      while (d < n && isDigit(s.charCodeAt(d))) d++;
      if (d === i || s.charCodeAt(d) !== COLON) return false;
      let e = d + 1;
      while (e < n && isDigit(s.charCodeAt(e))) e++;
      if (e === d + 1) return false;
      i = e;
    }
    if (i === n) return true;
    if (s.charCodeAt(i) !== COMMA) return false;
    i++;
  }
}

export class CounterColumn {
  private constructor(
    /** How many entries the column has. */
    readonly entries: number,
    /** The entry numbers of the non-zero entries, ascending. */
    private readonly at: Int32Array,
    /** Those entries' texts ("packets:bytes"), one after another, as latin1 bytes. */
    private readonly bytes: Buffer,
    /** Per non-zero entry, where its text starts in `bytes`; one more at the end. */
    private readonly starts: Int32Array,
    /** Whether a count has over 20 digits (model/parse/iptables-save/rule-words.ts parseCount refuses it). */
    readonly long: boolean,
  ) {}

  /**
   * Column text `column`, or undefined when it is not a counter column (isCounterColumn). A non-zero entry is the
   * only kind with a ":", and every entry between two of them is "0," (two characters): the column
   * is read by searching for ":" (~0.2 ms a host), not character by character (~3 ms).
   */
  static read(column: string): CounterColumn | undefined {
    if (!isCounterColumn(column)) return undefined;
    let count = 0;
    for (let c = column.indexOf(':'); c !== -1; c = column.indexOf(':', c + 1)) count++;
    // Filled in place: pushing ~50k numbers onto an array cost 3 ms a host here.
    const at = new Int32Array(count);
    const starts = new Int32Array(count + 1);
    const end = column.length;
    const bytes = count === 0 ? Buffer.alloc(0) : Buffer.from(column, 'latin1');
    let long = false;
    let entry = 0;
    /** The offset of entry `entry` in `column`. */
    let pos = 0;
    let w = 0;
    for (let q = 0, c = column.indexOf(':'); c !== -1; q++, c = column.indexOf(':', pos)) {
      const start = column.lastIndexOf(',', c) + 1;
      let stop = column.indexOf(',', c);
      if (stop === -1) stop = end;
      entry += (start - pos) / 2;
      at[q] = entry++;
      starts[q] = w;
      // Compacted in place (the bytes before `start` are taken already): one native copy an entry.
      bytes.copyWithin(w, start, stop);
      w += stop - start;
      if (stop - start > 20 && /\d{21}/.test(column.slice(start, stop))) long = true;
      pos = stop + 1;
    }
    starts[count] = w;
    // The "0" entries after the last non-zero one: "0,0,...,0", one character fewer than two each.
    const entries = end === 0 ? 0 : entry + (end + 1 - pos) / 2;
    // A copy of the kept bytes: the column's own buffer is not kept.
    return new CounterColumn(entries, at, Buffer.from(bytes.subarray(0, w)), starts, long);
  }

  /** Entry number `k`: "0" or "packets:bytes". */
  entry(k: number): string {
    const q = this.firstFrom(k);
    return q < this.at.length && this.at[q] === k ? this.item(q) : '0';
  }

  /** Entries from number `from` on, one a call, in order. */
  reader(from = 0): () => string {
    let e = from;
    let q = this.firstFrom(from);
    return () => (q < this.at.length && this.at[q] === e++ ? this.item(q++) : '0');
  }

  /** Whether this column's `n` entries from `a` are `other`'s `n` entries from `b`. */
  sameRun(a: number, other: CounterColumn, b: number, n: number): boolean {
    let p = this.firstFrom(a);
    let q = other.firstFrom(b);
    for (; p < this.at.length && this.at[p]! < a + n; p++, q++) {
      if (q >= other.at.length || other.at[q]! - b !== this.at[p]! - a) return false;
      const x = this.bytes.subarray(this.starts[p]!, this.starts[p + 1]!);
      if (!x.equals(other.bytes.subarray(other.starts[q]!, other.starts[q + 1]!))) return false;
    }
    return q >= other.at.length || other.at[q]! >= b + n;
  }

  /** The column as text. */
  text(): string {
    const parts: string[] = [];
    let e = 0;
    for (let q = 0; q < this.at.length; q++) {
      parts.push('0,'.repeat(this.at[q]! - e), this.item(q), ',');
      e = this.at[q]! + 1;
    }
    parts.push('0,'.repeat(this.entries - e));
    return parts.join('').slice(0, -1);
  }

  /** The index of the first non-zero entry numbered `k` or later. */
  private firstFrom(k: number): number {
    let lo = 0;
    let hi = this.at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private item(q: number): string {
    return this.bytes.toString('latin1', this.starts[q]!, this.starts[q + 1]!);
  }
}
