// How a v2 snapshot cuts a section into content-addressed pieces (docs/snapshot.md, "v2").
// iptables-save -c text is the same on every node of a cluster but for its counters and a few
// node-specific chains: the counters are lifted out into a per-host column ("[]" stays in their
// place), and the rest is cut into runs of lines at content-defined boundaries, so a chain present
// on one node only changes the piece around it, and every other piece is stored once for the cluster.
import { createHash } from 'node:crypto';

/** Hex digits of a blob's id: the first 96 bits of the SHA-256 of its text. */
export const BLOB_ID_HEX = 24;

export function blobId(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, BLOB_ID_HEX);
}

/** Sections cut into pieces; every other section is one blob. */
export const isPieced = (section: string): boolean =>
  section === 'iptables-nft-save' || section === 'iptables-legacy-save';

// iptables-save -c prints "[packets:bytes] " before a rule and " [packets:bytes]" after a chain
// header (iptables/iptables-save.c, xtables-save.c): those, and only those, are lifted out.
// COUNTERS = /^\[(\d+):(\d+)\](?= )|(?<= )\[(\d+):(\d+)\]$/gm, matched by liftCounters.
// Where a counter was, "[]" stays: a hole is what /^\[\](?= )|(?<= )\[\]$/gm matches (holeOffsets).

/** One line in 8 starts a piece (FNV-1a of the line), besides every table's first line. */
const CUT_MASK = 7;

function fnv1a(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface Pieced {
  /** The pieces, each a run of whole lines; their concatenation is the text with counters as "[]". */
  pieces: string[];
  /** Each lifted counter in text order, "packets:bytes" ("0" for 0:0), joined by ","; "" for none. */
  counters: string;
}

/** `text` in pieces, or undefined when it already holds a "[]" where a counter would be (kept whole). */
export function cut(text: string): Pieced | undefined {
  if (holeOffsets(text).length > 0) return undefined;
  const { holed, counters } = liftCounters(text);
  const pieces: string[] = [];
  let start = 0;
  let line = 0;
  while (line < holed.length) {
    const nl = holed.indexOf('\n', line);
    const end = nl === -1 ? holed.length : nl + 1;
    const c = holed[line];
    if (line > start && (c === '*' || (fnv1a(holed, line, end) & CUT_MASK) === 0)) {
      pieces.push(holed.slice(start, line));
      start = line;
    }
    line = end;
  }
  if (start < holed.length || pieces.length === 0) pieces.push(holed.slice(start));
  return { pieces, counters: counters.join(',') };
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The end of the digits in `s` from `at` (`at` when there are none). */
function digits(s: string, at: number): number {
  while (at < s.length && isDigit(s.charCodeAt(at))) at++;
  return at;
}

/**
 * `text` with the matches of COUNTERS replaced by "[]", and each one's entry ("0" for 0:0). Each
 * "[" found by indexOf is tried as COUNTERS would try it (V8 ran that alternation with a
 * lookbehind at every position), and the holed text is copied in bytes when `text` fits in latin1
 * (joining ~300k slices cost more than the regex).
 */
function liftCounters(text: string): { holed: string; counters: string[] } {
  const counters: string[] = [];
  // Each counter's "[" and the offset after its "]".
  const spans: number[] = [];
  let i = text.indexOf('[');
  while (i !== -1) {
    const p = digits(text, i + 1);
    const b = p > i + 1 && text.charCodeAt(p) === 58 ? digits(text, p + 1) : p;
    const close = b > p + 1 && text.charCodeAt(b) === 93 ? b + 1 : -1;
    if (close !== -1) {
      const before = i === 0 ? -1 : text.charCodeAt(i - 1);
      const after = close === text.length ? -1 : text.charCodeAt(close);
      if (
        ((before === -1 || endsLine(before)) && after === 32) ||
        (before === 32 && (after === -1 || endsLine(after)))
      ) {
        const zero = p === i + 2 && b === p + 2 && text.charCodeAt(i + 1) === 48 && text.charCodeAt(p + 1) === 48;
        counters.push(zero ? '0' : text.slice(i + 1, b));
        spans.push(i, close);
        i = text.indexOf('[', close);
        continue;
      }
    }
    i = text.indexOf('[', i + 1);
  }
  if (spans.length === 0) return { holed: text, counters };
  return { holed: NOT_LATIN1.test(text) ? holedBySlices(text, spans) : holedByBytes(text, spans), counters };
}

const NOT_LATIN1 = /[\u0100-\uffff]/;

function holedByBytes(text: string, spans: readonly number[]): string {
  // In place, moving each stretch left over the digits taken out (copyWithin: no object a stretch).
  const buf = Buffer.from(text, 'latin1');
  let o = spans[0]!;
  for (let k = 0; k < spans.length; k += 2) {
    buf[o++] = 91; // [
    buf[o++] = 93; // ]
    const from = spans[k + 1]!;
    const to = k + 2 < spans.length ? spans[k + 2]! : buf.length;
    buf.copyWithin(o, from, to);
    o += to - from;
  }
  return buf.toString('latin1', 0, o);
}

function holedBySlices(text: string, spans: readonly number[]): string {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < spans.length; k += 2) {
    parts.push(text.slice(from, spans[k]!), '[]');
    from = spans[k + 1]!;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** A line terminator as a multiline RegExp's ^ and $ see one (ECMA-262 LineTerminator). */
const endsLine = (c: number): boolean => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/** Whether the "[]" at `at` in `s` is a hole: ^\[\](?= ) or (?<= )\[\]$ (multiline). */
function isHole(s: string, at: number): boolean {
  const before = at === 0 ? -1 : s.charCodeAt(at - 1);
  const after = at + 2 === s.length ? -1 : s.charCodeAt(at + 2);
  return ((before === -1 || endsLine(before)) && after === 32) || (before === 32 && (after === -1 || endsLine(after)));
}

/**
 * Where `text` holds a lifted counter, in text order: the offset of each hole's "[". The matches
 * of the hole RegExp above, found by indexOf and isHole: V8 tried that anchored alternation at
 * every position (~0.1 s of CPU for the pieces of a 17 MB ruleset here, 7 ms this way). Two "[]"
 * cannot overlap, so each candidate is tested once.
 */
export function holeOffsets(text: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf('[]'); i !== -1; i = text.indexOf('[]', i + 2)) if (isHole(text, i)) at.push(i);
  return at;
}

/** The text `cut` was given, from its pieces and counters; undefined when the counters do not fit the holes. */
export function join(pieces: readonly string[], counters: string): string | undefined {
  const list = counters === '' ? [] : counters.split(',');
  let i = 0;
  let bad = false;
  // The holes of holeOffsets: a literal "[]" RegExp whose matches isHole checks.
  const text = pieces.join('').replace(/\[\]/g, (m: string, at: number, s: string) => {
    if (!isHole(s, at)) return m;
    const c = list[i++];
    if (c === '0') return '[0:0]';
    if (c === undefined || !/^\d+:\d+$/.test(c)) bad = true;
    return `[${c}]`;
  });
  return bad || i !== list.length ? undefined : text;
}
