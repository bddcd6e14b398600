// Reads the top-level JSON array that `ip -j` / `bridge -j` print, one element at a time, so that
// a truncated or partly corrupt section still yields every element before the damage. One linear
// pass (strings and nesting tracked by hand), then JSON.parse on each element's own text.
import { Fields, isObject } from './fields.ts';
import { quote, type Warnings } from './warnings.ts';

export interface JsonElement {
  value: unknown;
  /** The element as compact JSON, for evidence. */
  raw: string;
  /** 0-based position in the array. */
  index: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Scans one element starting at `start`; returns the index of the `,` or `]` that ends it, or
 * text.length when the text ends first, or -1 when a `}` closes nothing (corrupt).
 */
function scanElement(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return c === 0x5d ? i : -1;
      depth--;
    } else if (c === 0x2c && depth === 0) return i;
  }
  return text.length;
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
      out.push({ value, raw: JSON.stringify(value), index });
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
