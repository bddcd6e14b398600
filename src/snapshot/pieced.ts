// A section held as content-addressed pieces and a per-host counter column (a v2 snapshot's
// iptables-save text, docs/snapshot.md "v2"), kept that way in memory: a 1,000-node cluster's
// hosts share one copy of each piece, and the model parses each piece once for all of them
// (model/parse/iptables-save.ts, parseIptablesPieced). The section's text, when something asks
// for it, is put back together on each ask and not kept.
import { join } from './v2/pieces.ts';

/** The pieces of one snapshot read: each distinct piece's text once, and what parsers derive from it, once. */
export class PieceStore {
  /** Per piece id, whatever a parser keeps about the piece (one parser, one kind of value). */
  readonly derived = new Map<string, unknown>();
  /** Per section name, how many hosts hold it in pieces: a section of one host is parsed as text. */
  readonly holders = new Map<string, number>();
}

export class PiecedSection {
  constructor(
    readonly store: PieceStore,
    /** Piece ids, in order. */
    readonly ids: readonly string[],
    /** Piece texts, in order (each string shared by every host holding the piece). */
    readonly pieces: readonly string[],
    /** The host's counters, one per hole, "packets:bytes" or "0", joined by ",". */
    readonly counters: string,
  ) {}

  /** The section's text (iptables-save -c output as the probe printed it). */
  text(): string {
    const t = join(this.pieces, this.counters);
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
