// Reads the top-level JSON array that `ip -j` / `bridge -j` print, one element at a time, so that
// a truncated or partly corrupt section still yields every element before the damage. One linear
// pass (strings and nesting tracked by hand), then JSON.parse on each element's own text.
import { Fields, isObject } from './fields.ts';
import { quote, type Warnings } from './warnings.ts';

export interface JsonElement {
  value: unknown;
  /**
   * The element's own text with the whitespace between tokens removed, for evidence. Not
   * JSON.stringify(value): ip prints some keys twice (a route with `encap ip` has two "dst"),
   * and re-serialising would keep only the last.
   */
  raw: string;
  /** 0-based position in the array. */
  index: number;
}

/** Deeper than any real ip/bridge/CNI output (about 5 levels); deeper is refused unread, since
 * JSON.parse of a 10 MB chain of '[' takes seconds. */
export const MAX_JSON_DEPTH = 32;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

interface Scan {
  /** Index of the `,`, `}` or `]` that ends the value, or text.length. */
  end: number;
  /** Deepest nesting seen inside the value. */
  depth: number;
}

/** Finds where the value starting at `start` ends, tracking strings and nesting. */
function scanValue(text: string, start: number): Scan {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return { end: i, depth: deepest };
      depth--;
    } else if (c === 0x2c && depth === 0) return { end: i, depth: deepest };
  }
  return { end: text.length, depth: deepest };
}

/** True when `text` nests arrays/objects deeper than `limit` (a linear pre-check for JSON.parse). */
export function jsonTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  return scanValue(text, 0).depth > limit;
}

/** Removes whitespace outside strings: `{ "a": 1 }` → `{"a":1}`. */
export function compactJson(text: string): string {
  if (!/\s/.test(text)) return text; // ip -j output is already compact
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (isWs(c)) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

/**
 * The values (as JSON text) of every occurrence of `key` directly inside the object `raw`, in
 * order. JSON.parse keeps only the last of duplicate keys; this sees them all.
 */
export function topLevelValues(raw: string, key: string): string[] {
  const want = JSON.stringify(key);
  const out: string[] = [];
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      for (i++; i < raw.length && raw.charCodeAt(i) !== 0x22; i++) if (raw.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && raw.slice(start, i + 1) === want && raw.charCodeAt(i + 1) === 0x3a) {
        out.push(raw.slice(i + 2, scanValue(raw, i + 2).end));
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return out;
}

/**
 * `s` as a string of its own. A slice of a section's text keeps the whole text alive in V8 (a
 * SlicedString points into its parent), so an element's `raw` kept by the model would keep every
 * host's route, neighbour and fdb text (N² bytes in a cluster); prepending a character makes a
 * ConsString, which slice() flattens into a fresh copy first.
 */
function detached(s: string): string {
  return ` ${s}`.slice(1);
}

function parseElement(piece: string, index: number, depth: number, what: string, w: Warnings): JsonElement | undefined {
  if (depth > MAX_JSON_DEPTH) {
    w.add(`${what}: element ${index} nests deeper than ${MAX_JSON_DEPTH} levels; skipped`);
    return undefined;
  }
  try {
    return { value: JSON.parse(piece) as unknown, raw: detached(compactJson(piece)), index };
  } catch (e) {
    w.add(`${what}: element ${index} is not valid JSON (${(e as Error).message.slice(0, 120)}): ${quote(piece)}`);
    return undefined;
  }
}

/** One element of the top-level array as printed: its text, position and nesting. */
interface ElementText {
  text: string;
  index: number;
  depth: number;
}

/**
 * The text of the element at `i` when it is one `known` holds: the text up to the first "}," from
 * `i` (or "}]", for the last). A known text was read as one valid JSON object, which closes only
 * at its end, so scanValue from `i` would end there too; a longer element (holding "}," within)
 * has no valid object as this prefix. indexOf and a lookup instead of a scan character by
 * character: each host of a cluster prints ~3N elements that other hosts print the same.
 */
function knownAt(text: string, i: number, known: ReadonlyMap<string, unknown>): string | undefined {
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  // "}]" only for the last element: looked for first, it would be looked for to the end each time.
  const a = text.indexOf('},', i);
  const close = a !== -1 ? a : text.indexOf('}]', i);
  if (close === -1) return undefined;
  // The same string is looked up again by the caller: V8 keeps a string's hash once computed.
  const candidate = text.slice(i, close + 1);
  return known.has(candidate) ? candidate : undefined;
}

/**
 * Calls `each` with the text of every element of `text`'s top-level JSON array (it says whether
 * the element was valid JSON); never throws. `known` (optional): element texts read before, found
 * without a scan (knownAt).
 */
function forEachElementText(
  text: string,
  what: string,
  w: Warnings,
  each: (el: ElementText) => boolean,
  known?: ReadonlyMap<string, unknown>,
): void {
  let i = skipWs(text, 0);
  if (i === text.length) return; // an empty section: nothing printed, nothing to read
  if (text.charCodeAt(i) !== 0x5b) {
    w.add(`${what}: expected a JSON array, found ${quote(text.slice(i, i + 40))}`);
    return;
  }
  i++;
  let read = 0;
  for (let index = 0; ; index++) {
    i = skipWs(text, i);
    if (i >= text.length) {
      w.add(`${what}: output ends inside the JSON array (truncated?) after ${read} elements`);
      return;
    }
    if (text.charCodeAt(i) === 0x5d && index === 0) {
      i++;
      break;
    }
    const seen = known === undefined ? undefined : knownAt(text, i, known);
    if (seen !== undefined) {
      // A known element is read by the caller from `known`, its depth unused.
      if (each({ text: seen, index, depth: 0 })) read++;
      i += seen.length + 1;
      if (text.charCodeAt(i - 1) === 0x5d) break;
      continue;
    }
    const { end, depth } = scanValue(text, i);
    if (end < text.length && text.charCodeAt(end) === 0x7d) {
      w.add(`${what}: unbalanced '}' in element ${index}; stopped reading`);
      return;
    }
    if (end >= text.length) {
      w.add(`${what}: element ${index} is cut off (truncated output); kept the ${read} before it`);
      return;
    }
    if (each({ text: text.slice(i, end), index, depth })) read++;
    i = end + 1;
    if (text.charCodeAt(end) === 0x5d) break;
  }
  const rest = skipWs(text, i);
  if (rest < text.length) w.add(`${what}: unexpected text after the JSON array: ${quote(text.slice(rest, rest + 40))}`);
}

/**
 * Maps each object element of the array through `read`, dropping what it rejects. Non-objects
 * are reported; empty objects are skipped quietly (iproute2 prints {} for entries a filter
 * dropped).
 *
 * `known`: items already read from the same element text (by another host of the cluster: every
 * node prints a route, a neighbour and an fdb entry for each other node, N² elements of which N
 * are distinct). An element found there is that item, unread; one read without a warning is
 * added. Only for a `read` whose item depends on the element's text alone.
 */
export function mapJsonObjects<T>(
  text: string,
  what: string,
  w: Warnings,
  read: (f: Fields, raw: string) => T | undefined,
  known?: Map<string, T>,
): T[] {
  const out: T[] = [];
  forEachElementText(
    text,
    what,
    w,
    (piece) => {
      const had = known?.get(piece.text);
      if (had !== undefined) {
        out.push(had);
        return true;
      }
      const el = parseElement(piece.text, piece.index, piece.depth, what, w);
      if (el === undefined) return false;
      const where = `${what}[${el.index}]`;
      if (!isObject(el.value)) w.add(`${where}: not an object`);
      else if (Object.keys(el.value).length > 0) {
        const before = w.count;
        const item = read(new Fields(el.value, where, w), el.raw);
        if (item !== undefined) {
          out.push(item);
          if (known !== undefined && w.count === before) known.set(piece.text, item);
        }
      }
      return true;
    },
    known,
  );
  return out;
}
