// Reading and writing snapshot files: JSON, gzip optional (detected by magic bytes, not by name).
// Reading streams, from a file or stdin ("-"), and stops at MAX_SNAPSHOT_BYTES — of the file and,
// for gzip, of what it expands to — so /dev/zero or a gzip bomb is an error, not all of memory.
import { createReadStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../lib/errors.ts';
import { validateSnapshot } from './validate.ts';
import type { Snapshot } from './types.ts';
import { readV2, V2_START, V2Reader } from './v2/read.ts';
import { writeSnapshotV2 } from './v2/write.ts';

/**
 * The largest snapshot read (uncompressed JSON). V8 cannot hold a string over 2^29 - 24 characters
 * (v8 String::kMaxLength on 64-bit), and JSON.parse needs the text as one string: 512 MiB is the
 * ceiling; 500 MiB leaves room. A 100k-rule iptables dump is about 20 MB per node.
 */
export const MAX_SNAPSHOT_BYTES = 500 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** What a snapshot can start with: JSON whitespace or '{' (a UTF-8 BOM too), or gzip's magic bytes. */
function plausibleStart(b: number): boolean {
  return b === 0x7b || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === GZIP_MAGIC[0];
}

const isGzip = (b: Buffer): boolean => b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];

/** Decompressed text that starts a v2 snapshot (v2 is always gzip; v1 is one JSON document). */
const isV2 = (b: Buffer): boolean => b.subarray(0, V2_START.length).equals(V2_START.subarray(0, b.length));

/**
 * What a v2 file may expand to. A v2 file holds each distinct text once and no single string of
 * the whole cluster, so it is not bound by MAX_SNAPSHOT_BYTES; this cap (for one record too) still
 * makes a gzip bomb an error rather than all of memory.
 */
export const MAX_V2_EXPANDED_BYTES = 64 * MAX_SNAPSHOT_BYTES;

/** Decodes a whole snapshot held in memory (gzip or JSON). */
export function decodeSnapshot(data: Buffer, source: string, maxBytes = MAX_SNAPSHOT_BYTES): Snapshot {
  let raw = data;
  if (isGzip(raw)) {
    try {
      raw = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(source, maxBytes, 'expands to');
      throw new InputError(`${source}: not a valid gzip file (${(e as Error).message})`);
    }
    if (isV2(raw)) {
      const reader = new V2Reader(source);
      for (const line of raw.toString('utf8').split('\n')) reader.line(line);
      return reader.finish();
    }
  }
  return parseSnapshot(raw, source);
}

function parseSnapshot(raw: Buffer, source: string): Snapshot {
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new InputError(`${source}: not a netcheck snapshot: not JSON (${(e as Error).message})`);
  }
  return validateSnapshot(doc, source);
}

function tooLarge(source: string, max: number, what: 'is larger than' | 'expands to'): InputError {
  return new InputError(
    `${source} ${what} ${what === 'expands to' ? 'more than ' : ''}${Math.floor(max / 1048576)} MiB, the largest snapshot netcheck reads`,
  );
}

/** All of `chunks`, failing as soon as they exceed `max` bytes. */
async function readAtMost(chunks: AsyncIterable<Buffer>, max: number, fail: () => InputError): Promise<Buffer> {
  const got: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > max) throw fail();
    got.push(chunk);
  }
  // One chunk (a regular file, fileInput) is used as it is: copying 17 MB costs ~0.1 s here.
  return got.length === 1 ? got[0]! : Buffer.concat(got, size);
}

/**
 * A file's bytes as a stream. A regular file no larger than `max` is read whole, in one read
 * into one buffer of its size and given as one chunk: a ReadStream's 64 KiB chunks, joined
 * afterwards, took several times as long for a 17 MB snapshot here. Anything else (a device, a
 * pipe, a file over the cap, one whose size stat does not tell, as in /proc) streams, so the caps still stop it.
 */
async function fileInput(path: string, max: number): Promise<Readable> {
  const h = await open(path, 'r');
  try {
    const st = await h.stat();
    if (!st.isFile() || st.size === 0 || st.size > max) return createReadStream(path);
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const { bytesRead } = await h.read(buf, at, st.size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return Readable.from(at === 0 ? [] : [buf.subarray(0, at)]);
  } finally {
    await h.close();
  }
}

export interface ReadOptions {
  /** Cap on the bytes read and on what gzip expands to (default MAX_SNAPSHOT_BYTES). */
  maxBytes?: number;
  /** What "-" reads (default process.stdin). */
  stdin?: Readable;
}

/**
 * Decompression runs on libuv's threads: in 64 KiB pieces (16 KiB by default: each a round trip
 * to the main thread) and up to 8 MiB ahead of the reader, so that it goes on while the main
 * thread parses what it has (a 1,000-node v2 file is ~1 GB of text).
 */
const GUNZIP = { chunkSize: 64 * 1024, readableHighWaterMark: 8 * 1024 * 1024 };

/** Reads a snapshot from a file, or from stdin when `path` is "-". */
export async function readSnapshot(path: string, opts: ReadOptions = {}): Promise<Snapshot> {
  const max = opts.maxBytes ?? MAX_SNAPSHOT_BYTES;
  const source = path === '-' ? 'stdin' : path;
  let input: Readable | undefined;
  try {
    input = path === '-' ? (opts.stdin ?? process.stdin) : await fileInput(path, max);
    if ((input as { isTTY?: boolean }).isTTY === true)
      throw new InputError('--snapshot - reads stdin, which is a terminal: pipe a snapshot in');
    const chunks = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await chunks.next();
    const head: Buffer = first.done === true ? Buffer.alloc(0) : first.value;
    if (head.length === 0) throw new InputError(`${source} is empty: not a netcheck snapshot`);
    // A device or a binary file is refused at its first byte, not read up to the limit.
    if (!plausibleStart(head[0]!))
      throw new InputError(
        `${source}: not a netcheck snapshot: neither JSON nor gzip (first byte 0x${head[0]!.toString(16).padStart(2, '0')})`,
      );
    const all = async function* (): AsyncGenerator<Buffer> {
      let size = head.length;
      yield head;
      for (let r = await chunks.next(); r.done !== true; r = await chunks.next()) {
        if ((size += r.value.length) > max) throw tooLarge(source, max, 'is larger than');
        yield r.value;
      }
    };
    if (!isGzip(head))
      return parseSnapshot(await readAtMost(all(), max, () => tooLarge(source, max, 'is larger than')), source);
    let raw: Buffer | undefined;
    let v2: Snapshot | undefined;
    try {
      await pipeline(all(), createGunzip(GUNZIP), async (out: AsyncIterable<Buffer>) => {
        const it = out[Symbol.asyncIterator]();
        const first = await it.next();
        const start: Buffer = first.done === true ? Buffer.alloc(0) : first.value;
        const rest = async function* (): AsyncGenerator<Buffer> {
          yield start;
          for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
        };
        if (start.length > 0 && isV2(start)) {
          const cap = Math.max(max, MAX_V2_EXPANDED_BYTES);
          let size = 0;
          const capped = async function* (): AsyncGenerator<Buffer> {
            for await (const c of rest()) {
              if ((size += c.length) > cap) throw tooLarge(source, cap, 'expands to');
              yield c;
            }
          };
          v2 = await readV2(capped(), source, max, () => tooLarge(source, max, 'expands to'));
        } else raw = await readAtMost(rest(), max, () => tooLarge(source, max, 'expands to'));
      });
    } catch (e) {
      // zlib's errors are Z_DATA_ERROR, Z_BUF_ERROR (truncated), ...; others are the file's.
      if (!(e instanceof InputError) && ((e as NodeJS.ErrnoException).code ?? '').startsWith('Z_'))
        throw new InputError(`${source}: not a valid gzip file (${(e as Error).message})`);
      throw e;
    }
    return v2 ?? parseSnapshot(raw!, source);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `cannot read snapshot ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  } finally {
    if (path !== '-') input?.destroy();
  }
}

export function encodeSnapshot(s: Snapshot, gzip: boolean): Buffer {
  const json = Buffer.from(`${JSON.stringify(s, null, gzip ? 0 : 1)}\n`, 'utf8');
  return gzip ? gzipSync(json, { level: 6 }) : json;
}

/** A name ending in .gz but not .json.gz gets v2. */
export const writesV2 = (path: string): boolean => path.endsWith('.gz') && !path.endsWith('.json.gz');

/**
 * Writes JSON (v1), gzipped when the path ends in .json.gz; any other name ending in .gz gets v2
 * (docs/snapshot.md, "v2"): each distinct text once, written a record at a time.
 */
export async function writeSnapshot(path: string, s: Snapshot): Promise<void> {
  if (writesV2(path)) await writeSnapshotV2(path, s);
  else await writeFile(path, encodeSnapshot(s, path.endsWith('.gz')));
}
