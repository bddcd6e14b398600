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

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** Index of the `,`, `}` or `]` that ends the value starting at `start` (or text.length). */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
    } else if (c === 0x2c && depth === 0) return i;
  }
  return text.length;
}

/**
 * Scans one array element starting at `start`; returns the index of the `,` or `]` that ends it,
 * or text.length when the text ends first, or -1 when a `}` closes nothing (corrupt).
 */
function scanElement(text: string, start: number): number {
  const end = valueEnd(text, start);
  return end < text.length && text.charCodeAt(end) === 0x7d ? -1 : end;
}

/** Removes whitespace outside strings: `{ "a": 1 }` → `{"a":1}`. */
export function compactJson(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (WS.has(c)) {
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
        out.push(raw.slice(i + 2, valueEnd(raw, i + 2)));
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return out;
}

/** Splits `text` into the elements of its top-level JSON array; never throws. */
export function readJsonArray(text: string, what: string, w: Warnings): JsonElement[] {
  const out: JsonElement[] = [];
  let i = skipWs(text, 0);
  if (i === text.length) return out; // an empty section: nothing printed, nothing to read
  if (text.charCodeAt(i) !== 0x5b) {
    w.add(`${what}: expected a JSON array, found ${quote(text.slice(i, i + 40))}`);
    return out;
  }
  i++;
  for (let index = 0; ; index++) {
    i = skipWs(text, i);
    if (i >= text.length) {
      w.add(`${what}: output ends inside the JSON array (truncated?) after ${out.length} elements`);
      return out;
    }
    if (text.charCodeAt(i) === 0x5d && index === 0) {
      i++;
      break;
    }
    const end = scanElement(text, i);
    if (end < 0) {
      w.add(`${what}: unbalanced '}' in element ${index}; stopped reading`);
      return out;
    }
    const piece = text.slice(i, end);
    if (end >= text.length) {
      w.add(`${what}: element ${index} is cut off (truncated output); kept the ${out.length} before it`);
      return out;
    }
    try {
      const value: unknown = JSON.parse(piece);
      out.push({ value, raw: compactJson(piece), index });
    } catch (e) {
      w.add(`${what}: element ${index} is not valid JSON (${(e as Error).message}): ${quote(piece)}`);
    }
    i = end + 1;
    if (text.charCodeAt(end) === 0x5d) break;
  }
  const rest = skipWs(text, i);
  if (rest < text.length) w.add(`${what}: unexpected text after the JSON array: ${quote(text.slice(rest, rest + 40))}`);
  return out;
}

/**
 * Maps each object element of the array through `read`, dropping what it rejects. Non-objects
 * are reported; empty objects are skipped quietly (iproute2 prints {} for entries a filter
 * dropped).
 */
export function mapJsonObjects<T>(
  text: string,
  what: string,
  w: Warnings,
  read: (f: Fields, raw: string) => T | undefined,
): T[] {
  const out: T[] = [];
  for (const el of readJsonArray(text, what, w)) {
    const where = `${what}[${el.index}]`;
    if (!isObject(el.value)) w.add(`${where}: not an object`);
    else if (Object.keys(el.value).length > 0) {
      const item = read(new Fields(el.value, where, w), el.raw);
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}
