// Reading and writing snapshot files: JSON, gzip optional (detected by magic bytes, not by name).
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../lib/errors.ts';
import { validateSnapshot } from './validate.ts';
import type { Snapshot } from './types.ts';

/** A snapshot larger than this (uncompressed) is refused rather than exhausting memory. */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

export function decodeSnapshot(data: Buffer, source: string): Snapshot {
  let raw = data;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw, { maxOutputLength: MAX_SNAPSHOT_BYTES });
    } catch (e) {
      throw new InputError(`${source}: not a valid gzip file (${(e as Error).message})`);
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new InputError(`${source}: not a netcheck snapshot: not JSON (${(e as Error).message})`);
  }
  return validateSnapshot(doc, source);
}

export async function readSnapshot(path: string): Promise<Snapshot> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    throw new InputError(`cannot read snapshot ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeSnapshot(data, path);
}

export function encodeSnapshot(s: Snapshot, gzip: boolean): Buffer {
  const json = Buffer.from(`${JSON.stringify(s, null, gzip ? 0 : 1)}\n`, 'utf8');
  return gzip ? gzipSync(json, { level: 6 }) : json;
}

/** Writes JSON, gzipped when the path ends in .gz. */
export async function writeSnapshot(path: string, s: Snapshot): Promise<void> {
  await writeFile(path, encodeSnapshot(s, path.endsWith('.gz')));
}
