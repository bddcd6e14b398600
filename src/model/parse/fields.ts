// Typed reads from one JSON object of unknown shape. A field of the wrong type is reported once
// and read as absent, so one odd field never costs the rest of the element.
import type { Warnings } from './warnings.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value read as a string, or absent (no warning: for formats where a field's type varies). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A finite number, or absent. */
export function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A string or an array of strings, as a list; absent otherwise. */
export function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

export class Fields {
  constructor(
    readonly obj: JsonObject,
    /** Where this object is, for warnings: "ip-route[3]". */
    readonly where: string,
    readonly warnings: Warnings,
  ) {}

  /** Reports something wrong at this object. */
  warn(message: string): void {
    this.warnings.add(`${this.where}: ${message}`);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.obj, key);
  }

  private wrong(key: string, want: string): undefined {
    const v = this.obj[key];
    const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
    this.warn(`field "${key}" should be ${want}, is ${got}`);
    return undefined;
  }

  str(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return typeof v === 'string' ? v : this.wrong(key, 'a string');
  }

  /** A string, or a number printed as a string (ip prints table ids and protocols either way). */
  text(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.wrong(key, 'a string or number');
  }

  num(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : this.wrong(key, 'a number');
  }

  /** A non-negative integer given as a JSON number or as "123" / "0x7b" (ip prints marks in hex). */
  uint(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    const n = typeof v === 'number' ? v : typeof v === 'string' ? parseUint(v) : undefined;
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : this.wrong(key, 'a non-negative integer');
  }

  bool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return typeof v === 'boolean' ? v : this.wrong(key, 'a boolean');
  }

  arr(key: string): unknown[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return Array.isArray(v) ? v : this.wrong(key, 'an array');
  }

  /** An array of strings; other members are reported and skipped. */
  strings(key: string): string[] | undefined {
    const a = this.arr(key);
    if (a === undefined) return undefined;
    const out: string[] = [];
    for (const v of a) {
      if (typeof v === 'string') out.push(v);
      else this.warn(`field "${key}" holds a non-string member`);
    }
    return out;
  }

  sub(key: string): Fields | undefined {
    if (!this.has(key)) return undefined;
    const v = this.obj[key];
    return isObject(v) ? new Fields(v, `${this.where}.${key}`, this.warnings) : this.wrong(key, 'an object');
  }
}

/** "123", "0x7b" → number; anything else (including "") → undefined. */
export function parseUint(s: string): number | undefined {
  if (/^0x[0-9a-f]{1,16}$/i.test(s) || /^\d{1,20}$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}
