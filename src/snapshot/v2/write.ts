// Writing a v2 snapshot (docs/snapshot.md, "v2"): gzip of one JSON record a line, written as the
// hosts come, so that no string or Buffer holds more than one record: a header, the objects in
// chunks, each distinct blob once (before the first host that refers to it), one record a host,
// and a trailer with the counts that tells a complete file from a cut one.
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { OBJECT_KINDS, SNAPSHOT_KIND } from '../types.ts';
import type { HostEntry, Snapshot } from '../types.ts';
import { encodeDelta } from './delta.ts';
import { blobId, cut, isPieced } from './pieces.ts';

export const SNAPSHOT_V2_API_VERSION = 'netcheck.dev/v2';

/** Objects per "objects" record: a record stays small however many Pods the cluster has. */
const OBJECTS_PER_RECORD = 500;

export type V2SectionRef = { blob: string } | { parts: (number | string)[]; counters: string };

export class SnapshotV2Writer {
  private readonly gzip = createGzip({ level: 6 });
  private readonly done: Promise<void>;
  private readonly seen = new Set<string>();
  /** Per pieced section, the previous host's piece ids (what the next host's list is written against). */
  private readonly lastParts = new Map<string, string[]>();
  private hosts = 0;
  /** Bytes of JSON records written (before gzip), and of distinct blob text. */
  rawBytes = 0;
  blobBytes = 0;

  constructor(out: Writable) {
    this.gzip.pipe(out);
    this.done = finished(out);
  }

  private async record(r: unknown): Promise<void> {
    const line = `${JSON.stringify(r)}\n`;
    this.rawBytes += Buffer.byteLength(line);
    if (!this.gzip.write(line)) await new Promise<void>((resolve) => this.gzip.once('drain', resolve));
  }

  async head(s: Omit<Snapshot, 'hosts' | 'apiVersion'>): Promise<void> {
    const h: Record<string, unknown> = {
      apiVersion: SNAPSHOT_V2_API_VERSION,
      kind: SNAPSHOT_KIND,
      capturedAt: s.capturedAt,
    };
    if (s.context !== undefined) h['context'] = s.context;
    if (s.warnings !== undefined) h['warnings'] = s.warnings;
    await this.record(h);
    for (const kind of OBJECT_KINDS) {
      const items = s.objects[kind];
      for (let i = 0; i === 0 || i < items.length; i += OBJECTS_PER_RECORD)
        await this.record({ objects: kind, items: items.slice(i, i + OBJECTS_PER_RECORD) });
    }
  }

  private async blob(text: string): Promise<string> {
    const id = blobId(text);
    if (!this.seen.has(id)) {
      this.seen.add(id);
      this.blobBytes += Buffer.byteLength(text);
      await this.record({ blob: id, text });
    }
    return id;
  }

  async host(name: string, entry: HostEntry): Promise<void> {
    const sections: Record<string, V2SectionRef> = {};
    for (const [section, text] of Object.entries(entry.sections)) {
      const pieced = isPieced(section) ? cut(text) : undefined;
      if (pieced === undefined) {
        sections[section] = { blob: await this.blob(text) };
        continue;
      }
      const ids: string[] = [];
      for (const p of pieced.pieces) ids.push(await this.blob(p));
      sections[section] = { parts: encodeDelta(this.lastParts.get(section) ?? [], ids), counters: pieced.counters };
      this.lastParts.set(section, ids);
    }
    this.hosts++;
    await this.record({ host: name, errors: entry.errors, sections });
  }

  /** `warnings`: those known only once the hosts are written (a streamed collection's), added to the header's. */
  async end(warnings: readonly string[] = []): Promise<void> {
    await this.record({
      end: { hosts: this.hosts, blobs: this.seen.size, ...(warnings.length > 0 ? { warnings } : {}) },
    });
    this.gzip.end();
    await this.done;
  }
}

/** Writes `s` as a v2 snapshot file. */
export async function writeSnapshotV2(path: string, s: Snapshot): Promise<void> {
  const w = new SnapshotV2Writer(createWriteStream(path));
  await w.head(s);
  for (const [name, entry] of Object.entries(s.hosts)) await w.host(name, entry);
  await w.end();
}
