// A section held as content-addressed pieces and a per-host counter column (a v2 snapshot's
// iptables-save text, docs/snapshot.md "v2"), kept that way in memory: a 1,000-node cluster's
// hosts share one copy of each piece, and the model parses each piece once for all of them
// (model/parse/iptables-save.ts, parseIptablesPieced). The section's text, when something asks
// for it, is put back together on each ask and not kept.
import { CounterColumn } from './v2/counter-column.ts';
import { holeOffsets, join } from './v2/pieces.ts';

/** The pieces of one snapshot read: each distinct piece's text once, and what parsers derive from it, once. */
export class PieceStore {
  /** Whatever a parser keeps for the whole read (one parser, one kind of value). */
  readonly derived = new Map<string, unknown>();
  /** Per section name, how many hosts hold it in pieces: a section of one host is parsed as text. */
  readonly holders = new Map<string, number>();
  /** Each distinct piece's id and text, by its number (a host's list of pieces is a list of numbers). */
  readonly ids: string[] = [];
  readonly texts: string[] = [];
  /** How many counters each piece's text had lifted out ("[]" holes). */
  readonly holes: number[] = [];
  private readonly numbers = new Map<string, number>();

  /** The number of piece `id` (text `text`), given it if new. */
  number(id: string, text: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.numbers.set(id, n);
      this.ids.push(id);
      this.texts.push(text);
      this.holes.push(holeOffsets(text).length);
    }
    return n;
  }
}

export class PiecedSection {
  constructor(
    readonly store: PieceStore,
    /** The pieces, in order, by their numbers in the store. */
    readonly refs: Int32Array,
    /** The host's counters, one per hole, in order (as many as the pieces' holes: see `of`). */
    readonly counters: CounterColumn,
  ) {}

  /** A section of pieces `ids` with texts `pieces`, numbered in `store`; throws when the counters do not fit. */
  static of(store: PieceStore, ids: readonly string[], pieces: readonly string[], counters: string): PiecedSection {
    const p = PiecedSection.read(
      store,
      Int32Array.from(ids, (id, i) => store.number(id, pieces[i]!)),
      counters,
    );
    if (p === undefined) throw new Error('pieced section: counters do not fit its pieces');
    return p;
  }

  /**
   * Pieces `refs` (numbered in `store`) with counter column text `counters`; undefined unless that
   * is a counter column with an entry for each hole of the pieces, no more (what `join` needs).
   */
  static read(store: PieceStore, refs: Int32Array, counters: string): PiecedSection | undefined {
    const column = CounterColumn.read(counters);
    if (column === undefined) return undefined;
    let holes = 0;
    for (let i = 0; i < refs.length; i++) holes += store.holes[refs[i]!]!;
    return holes === column.entries ? new PiecedSection(store, refs, column) : undefined;
  }

  /** Per piece, how many counter entries the pieces before it have; one more at the end (all of them). */
  before(): Int32Array {
    const before = new Int32Array(this.refs.length + 1);
    for (let i = 0; i < this.refs.length; i++) before[i + 1] = before[i]! + this.store.holes[this.refs[i]!]!;
    return before;
  }

  /** Piece ids, in order. */
  get ids(): string[] {
    return Array.from(this.refs, (r) => this.store.ids[r]!);
  }

  /** Piece texts, in order (each string shared by every host holding the piece). */
  get pieces(): string[] {
    return Array.from(this.refs, (r) => this.store.texts[r]!);
  }

  /** The section's text (iptables-save -c output as the probe printed it). */
  text(): string {
    const t = join(this.pieces, this.counters.text());
    if (t === undefined) throw new Error('pieced section: counters do not fit (checked when read)');
    return t;
  }
}

const registry = new WeakMap<object, Map<string, PiecedSection>>();

/** Puts `p` in `sections` as `name`: a string when read, its pieces for piecedSection(). */
export function definePieced(sections: Record<string, string>, name: string, p: PiecedSection): void {
  let m = registry.get(sections);
  if (m === undefined) registry.set(sections, (m = new Map()));
  m.set(name, p);
  Object.defineProperty(sections, name, { enumerable: true, configurable: true, get: () => p.text() });
}

/** The pieces of `sections[name]` when it is held in pieces. */
export const piecedSection = (sections: Record<string, string>, name: string): PiecedSection | undefined =>
  registry.get(sections)?.get(name);
