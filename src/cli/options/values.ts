// Parsers of flag values, as yargs hands them over (a string, or an array when a flag is repeated).
// Each returns the value in its type or throws an InputError naming the flag and what it accepts:
// a usage error is found here, before any file or cluster is touched.
import { InputError } from '../../lib/errors.ts';

/** The one value of a flag that takes one (undefined when absent); a repeated flag is an error. */
export function single(flag: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw new InputError(`${flag} is given ${v.length} times; give it once`);
  return String(v);
}

/** A flag's value, required to be non-empty (`--image ''`, `--port` with nothing after it). */
export function text(flag: string, v: unknown): string | undefined {
  const s = single(flag, v);
  if (s === '') throw new InputError(`${flag} needs a value`);
  return s;
}

/** A whole number in [min, max]; `what` says what the number counts, for the message. */
export function wholeNumber(flag: string, v: unknown, min: number, max: number, what: string): number | undefined {
  const s = text(flag, v);
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s.trim()) ? Number(s.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new InputError(`${flag} ${JSON.stringify(s)} is not ${what} (a whole number from ${min} to ${max})`);
  return n;
}

export function port(flag: string, v: unknown): number | undefined {
  return wholeNumber(flag, v, 1, 65535, 'a port');
}

/** Comma-separated or repeated values; an empty item (`--nodes ''`, `a,,b`) is an error, not "none". */
export function list(flag: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).map((x) => x.trim());
  if (items.some((x) => x === '')) throw new InputError(`${flag} has an empty name (give names, comma-separated)`);
  return items;
}

// Kubernetes name rules (apimachinery pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain).
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name: an RFC 1123 label. */
export function namespaceName(flag: string, name: string): string {
  if (name.length > 63 || !DNS1123_LABEL.test(name))
    throw new InputError(
      `${flag} ${JSON.stringify(name)} is not a namespace name (lower-case letters, digits and '-', at most 63)`,
    );
  return name;
}

/** A node or Secret name: an RFC 1123 subdomain. */
export function objectName(flag: string, name: string): string {
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))
    throw new InputError(
      `${flag} ${JSON.stringify(name)} is not a Kubernetes name (lower-case letters, digits, '-' and '.')`,
    );
  return name;
}

/** A flag naming one node, checked; undefined when absent. */
export function nodeNameFlag(flag: string, v: unknown): string | undefined {
  const s = text(flag, v);
  return s === undefined ? undefined : objectName(flag, s);
}

// An image reference (distribution/reference grammar, loosely): registry[:port]/path[:tag][@digest].
// What matters here is that it is one word a container runtime can resolve, never shell syntax.
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*[A-Za-z0-9]$|^[A-Za-z0-9]$/;

export function imageReference(flag: string, v: unknown): string | undefined {
  const s = text(flag, v);
  if (s !== undefined && (s.length > 4096 || !IMAGE.test(s)))
    throw new InputError(`${flag} ${JSON.stringify(s)} is not an image reference (e.g. registry.local/netshoot:v0.13)`);
  return s;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(flag: string, v: unknown, choices: readonly T[]): T | undefined {
  const s = single(flag, v);
  if (s === undefined) return undefined;
  if (!(choices as readonly string[]).includes(s))
    throw new InputError(`${flag} must be ${choices.join(', ')}; not ${JSON.stringify(s)}`);
  return s as T;
}
