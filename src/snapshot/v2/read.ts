// Reading a v2 snapshot (docs/snapshot.md, "v2"): records one a line, each checked as it comes;
// blobs are checked against their ids, a host's sections are put back together from its blobs,
// and the result is the same in-memory Snapshot a v1 file gives (validated by the same code).
// A section held by many hosts is one string shared by all of them.
import { InputError } from '../../lib/errors.ts';
import { OBJECT_KINDS, SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../types.ts';
import type { Snapshot } from '../types.ts';
import { validateSnapshot } from '../validate.ts';
import { applyDeltaNumbers } from './delta.ts';
import { PiecedSection, PieceStore, definePieced } from '../pieced.ts';
import { blobId } from './pieces.ts';
import { SNAPSHOT_V2_API_VERSION } from './write.ts';

/** How a v2 file's decompressed text starts (its header record, as the writer prints it). */
export const V2_START = Buffer.from(`{"apiVersion":"${SNAPSHOT_V2_API_VERSION}"`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class V2Reader {
  private doc: Record<string, unknown> | undefined;
  private readonly objects: Record<string, unknown[]> = {};
  private readonly hosts: Record<string, unknown> = {};
  private readonly blobs = new Map<string, string>();
  private readonly store = new PieceStore();
  private readonly lastParts = new Map<string, Int32Array>();
  private ended = false;
  private lineNo = 0;

  constructor(private readonly source: string) {}

  private fail(why: string): never {
    throw new InputError(`${this.source}: record ${this.lineNo}: ${why}`);
  }

  line(text: string): void {
    this.lineNo++;
    if (text.trim() === '') return;
    if (this.ended) this.fail('a record after the end record');
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch (e) {
      this.fail(`not JSON (${(e as Error).message})`);
    }
    if (!isRecord(r)) this.fail('not an object');
    if (this.doc === undefined) {
      if (r['apiVersion'] !== SNAPSHOT_V2_API_VERSION || r['kind'] !== SNAPSHOT_KIND)
        this.fail(
          `the first record must be the header (apiVersion "${SNAPSHOT_V2_API_VERSION}", kind "${SNAPSHOT_KIND}")`,
        );
      this.doc = { ...r, apiVersion: SNAPSHOT_API_VERSION };
    } else if ('objects' in r) this.objectsRecord(r);
    else if ('blob' in r) this.blobRecord(r);
    else if ('host' in r) this.hostRecord(r);
    else if ('end' in r) this.endRecord(r['end']);
    else this.fail('neither objects, blob, host nor end');
  }

  private objectsRecord(r: Record<string, unknown>): void {
    const kind = r['objects'];
    if (typeof kind !== 'string' || !(OBJECT_KINDS as readonly string[]).includes(kind))
      this.fail(`objects: unknown kind ${JSON.stringify(kind)}`);
    if (!Array.isArray(r['items'])) this.fail(`objects ${kind}: items must be an array`);
    const list = (this.objects[kind] ??= []);
    for (const o of r['items']) list.push(o);
  }

  private blobRecord(r: Record<string, unknown>): void {
    const { blob: id, text } = r;
    if (typeof id !== 'string' || typeof text !== 'string') this.fail('a blob record needs a string blob and text');
    if (blobId(text) !== id) this.fail(`blob ${id} does not hold the text its id names`);
    this.blobs.set(id, text);
  }

  private blobText(id: unknown, where: string): string {
    const text = typeof id === 'string' ? this.blobs.get(id) : undefined;
    if (text === undefined) this.fail(`${where} refers to blob ${JSON.stringify(id)}, not defined before it`);
    return text;
  }

  private hostRecord(r: Record<string, unknown>): void {
    const name = r['host'];
    if (typeof name !== 'string') this.fail('host must be a string');
    if (Object.hasOwn(this.hosts, name)) this.fail(`host ${name} appears twice`);
    if (!isRecord(r['sections'])) this.fail(`host ${name}: sections must be an object`);
    const sections: Record<string, string> = {};
    for (const [section, ref] of Object.entries(r['sections'])) {
      const where = `hosts.${name}.sections.${section}`;
      if (isRecord(ref) && 'blob' in ref) sections[section] = this.blobText(ref['blob'], where);
      else if (isRecord(ref) && Array.isArray(ref['parts']) && typeof ref['counters'] === 'string') {
        const refs = applyDeltaNumbers(this.lastParts.get(section) ?? new Int32Array(0), ref['parts'], (id) =>
          this.store.number(id, this.blobText(id, where)),
        );
        if (refs === undefined) this.fail(`${where}: parts do not apply to the previous host's`);
        const pieced = PiecedSection.read(this.store, refs, ref['counters']);
        if (pieced === undefined) this.fail(`${where}: its counters do not fit its pieces`);
        this.lastParts.set(section, refs);
        // Kept in pieces: the host's text is put together only if something asks for it.
        definePieced(sections, section, pieced);
        this.store.holders.set(section, (this.store.holders.get(section) ?? 0) + 1);
      } else this.fail(`${where} must be {"blob": id} or {"parts": [...], "counters": "..."}`);
    }
    this.hosts[name] = { sections, errors: r['errors'] };
  }

  private endRecord(end: unknown): void {
    if (!isRecord(end) || end['hosts'] !== Object.keys(this.hosts).length || end['blobs'] !== this.blobs.size)
      this.fail('the end record does not count the hosts and blobs read: records are missing');
    const late = end['warnings'];
    if (late !== undefined) {
      if (!Array.isArray(late) || !late.every((w) => typeof w === 'string'))
        this.fail("the end record's warnings must be strings");
      const early = this.doc!['warnings'];
      this.doc!['warnings'] = [...(Array.isArray(early) ? early : []), ...late];
    }
    this.ended = true;
  }

  finish(): Snapshot {
    if (this.doc === undefined) throw new InputError(`${this.source}: empty v2 snapshot`);
    if (!this.ended) throw new InputError(`${this.source}: v2 snapshot cut short (no end record)`);
    return validateSnapshot({ ...this.doc, objects: this.objects, hosts: this.hosts }, this.source);
  }
}

/** Reads the records of decompressed v2 text, a line at most `maxLine` bytes. */
export async function readV2(
  chunks: AsyncIterable<Buffer>,
  source: string,
  maxLine: number,
  tooLong: () => InputError,
): Promise<Snapshot> {
  const reader = new V2Reader(source);
  let held: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    let from = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      if (size + nl - from > maxLine) throw tooLong();
      held.push(chunk.subarray(from, nl));
      reader.line(Buffer.concat(held).toString('utf8'));
      held = [];
      size = 0;
      from = nl + 1;
    }
    if ((size += chunk.length - from) > maxLine) throw tooLong();
    held.push(chunk.subarray(from));
  }
  reader.line(Buffer.concat(held).toString('utf8'));
  return reader.finish();
}
