// Small runtime type checks for the parsers' typed output: the fuzz inputs put numbers where
// strings belong and objects where arrays belong, and none of that may leak into the Model.
export type Check = (v: unknown, path: string, out: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export const str: Check = (v, p, o) => {
  if (typeof v !== 'string') o.push(`${p}: ${kind(v)}, want string`);
};
export const num: Check = (v, p, o) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) o.push(`${p}: ${String(v)}, want a finite number`);
};
export const bool: Check = (v, p, o) => {
  if (typeof v !== 'boolean') o.push(`${p}: ${kind(v)}, want boolean`);
};
/** A string that is itself valid JSON (the `raw` of a JSON element). */
export const jsonText: Check = (v, p, o) => {
  if (typeof v !== 'string') {
    o.push(`${p}: ${kind(v)}, want string`);
    return;
  }
  try {
    JSON.parse(v);
  } catch {
    o.push(`${p}: not JSON`);
  }
};
export const opt =
  (c: Check): Check =>
  (v, p, o) => {
    if (v !== undefined) c(v, p, o);
  };
export const oneOf =
  (...vals: string[]): Check =>
  (v, p, o) => {
    if (typeof v !== 'string' || !vals.includes(v)) o.push(`${p}: ${String(v)}, want one of ${vals.join('|')}`);
  };
export const arr =
  (c: Check): Check =>
  (v, p, o) => {
    if (!Array.isArray(v)) o.push(`${p}: ${kind(v)}, want array`);
    else v.forEach((x, i) => c(x, `${p}[${i}]`, o));
  };
/** An object with (at least) these fields. */
export const obj =
  (shape: Record<string, Check>): Check =>
  (v, p, o) => {
    if (!isObject(v)) o.push(`${p}: ${kind(v)}, want object`);
    else for (const [k, c] of Object.entries(shape)) c(v[k], `${p}.${k}`, o);
  };
/** A Map, or a plain record, of string keys to values passing `c`. */
export const map =
  (c: Check): Check =>
  (v, p, o) => {
    const entries = v instanceof Map ? [...v.entries()] : isObject(v) ? Object.entries(v) : undefined;
    if (entries === undefined) o.push(`${p}: ${kind(v)}, want a map`);
    for (const [k, x] of entries ?? []) {
      if (typeof k !== 'string') o.push(`${p}: key ${kind(k)}`);
      c(x, `${p}[${String(k)}]`, o);
    }
  };
