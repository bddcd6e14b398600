// HostAccess through a probe pod that moves only content the collector has not seen (issue #15):
// the pod hashes its outputs first (dedup-script.ts hashScript), the collector asks for the
// sections and pieces no earlier node sent (fetchScript), and puts each section back together from
// its store. Every piece is checked against its id and every section against the hash the pod took
// of the whole output before cutting it; a section that does not come back byte for byte (its
// stored copy changed or went away between the two execs, or bytes that are not UTF-8) is moved
// again whole, in one exec of the plain batch, so a section is never made of two versions. When a
// script of this path fails on the node (its shell lacks something, it exits non-zero or times
// out, its output cannot be read), the node is collected by the plain batch instead and the
// report says why: only what would fail the plain batch too (the API server, the signal) fails it.
import { gunzipSync } from 'node:zlib';
import type { HostAccess } from '../collect-host.ts';
import { blobId, isPieced, join } from '../../snapshot/v2/pieces.ts';
import { PiecedSection, PieceStore } from '../../snapshot/pieced.ts';
import { ApiError, TransportError } from './client.ts';
import type { KubeClient } from './client.ts';
import { fetchScript, hashScript, parseFetch, parseHashes } from './dedup-script.ts';
import type { FetchRequest, HashResult, HashedSection } from './dedup-script.ts';
import { batchAccess, execProbe, probeBatch, runBatch } from './pod-access.ts';
import type { PodAccessOptions } from './pod-access.ts';
import { parseBatch } from './probe-pod.ts';
import type { BatchCommandResult, BatchRequest, BatchResult } from './probe-pod.ts';

/** What the store holds at most: the shared chains of a 10k-Service cluster are ~21 MB. */
const CONTENT_STORE_BYTES = 256 * 1024 * 1024;

/**
 * The collector's content, by blob id: what one node sent is not asked of the next, nor what
 * another node is fetching at the moment (nodes are collected in parallel: the first twenty would
 * otherwise all ask for the cluster's shared chains). Bounded: past `maxBytes` the least recently
 * used blobs go, so a node's own content (its routes, neighbours, fdb: an entry per other node,
 * used once) does not pile up with the cluster's size, while the shared chains, used by
 * every node, stay. A blob gone before a node put its section together is moved again whole
 * (the refetch path), never guessed.
 */
export class ContentStore {
  /**
   * The pieces of the sections handed to the model in pieces (assemble): numbered once for the
   * collection, each piece's text one string however many nodes hold it.
   */
  readonly pieces = new PieceStore();
  private readonly blobs = new Map<string, string>();
  private readonly pending = new Map<string, Promise<void>>();
  /** Bytes of distinct content held. */
  bytes = 0;

  constructor(private readonly maxBytes = CONTENT_STORE_BYTES) {}

  has(id: string): boolean {
    return this.blobs.has(id);
  }

  get(id: string): string | undefined {
    const t = this.blobs.get(id);
    if (t !== undefined) {
      // Most recently used last (a Map iterates in insertion order).
      this.blobs.delete(id);
      this.blobs.set(id, t);
    }
    return t;
  }

  /**
   * True when the caller is to fetch `id`: nobody holds it or is fetching it. The claim holds
   * until `settle` returns; whoever else needs `id` meanwhile waits for it (`arrived`).
   */
  claim(id: string, settle: Promise<void>): boolean {
    if (this.blobs.has(id) || this.pending.has(id)) return false;
    this.pending.set(id, settle);
    void settle.then(() => this.pending.delete(id));
    return true;
  }

  /** Resolves once every fetch of these ids in flight has ended (each may have failed). */
  async arrived(ids: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of ids) {
      const p = this.pending.get(id);
      if (p !== undefined) waits.push(p);
    }
    await Promise.all(waits);
  }

  /** Keeps `text` when it is what `id` names; false (and nothing kept) when it is not. */
  put(id: string, text: string): boolean {
    if (blobId(text) !== id) return false;
    if (!this.blobs.has(id)) {
      this.blobs.set(id, text);
      this.bytes += Buffer.byteLength(text);
      for (const [old, t] of this.blobs) {
        if (this.bytes <= this.maxBytes || old === id) break;
        this.blobs.delete(old);
        this.bytes -= Buffer.byteLength(t);
      }
    }
    return true;
  }
}

/** gzip's magic (RFC 1952): the probe's output went through gzip; otherwise it is plain. */
const unzip = (b: Buffer): Buffer => (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b);

/** The fetch requests for what `store` lacks and no other node is fetching; the claims end with `done`. */
function wanted(hashes: HashResult, store: ContentStore, done: Promise<void>): FetchRequest[] {
  const out: FetchRequest[] = [];
  for (const h of hashes.sections.values()) {
    if (h.code !== 0) continue;
    if (h.cut !== undefined) {
      const ix: number[] = [];
      h.cut.pieces.forEach((p, i) => {
        if (store.claim(p.id, done)) ix.push(i);
      });
      if (ix.length > 0) out.push({ section: h.section, pieces: ix });
    } else if (h.id === undefined || store.claim(h.id, done)) out.push({ section: h.section, whole: true });
  }
  return out;
}

/** Every id a node's sections are made of. */
function* idsOf(hashes: HashResult): Generator<string> {
  for (const h of hashes.sections.values()) {
    if (h.cut !== undefined) for (const p of h.cut.pieces) yield p.id;
    else if (h.id !== undefined) yield h.id;
  }
}

/** Stores the fetched pieces of `h` (each checked against its id); the whole outputs are returned. */
function storeFetched(
  hashes: HashResult,
  requests: readonly FetchRequest[],
  out: Buffer,
  store: ContentStore,
): Map<string, string> {
  const got = parseFetch(out);
  const whole = new Map<string, string>();
  for (const r of requests) {
    const h = hashes.sections.get(r.section)!;
    if ('whole' in r) {
      const b = got.whole.get(r.section);
      if (b === undefined || b.length !== h.size) continue;
      const text = b.toString('utf8');
      if (h.id === undefined) whole.set(r.section, text);
      else if (store.put(h.id, text)) whole.set(r.section, text);
      continue;
    }
    const b = got.pieces.get(r.section);
    if (b === undefined) continue;
    let at = 0;
    for (const i of r.pieces) {
      const p = h.cut!.pieces[i]!;
      if (at + p.size > b.length) break;
      store.put(p.id, b.subarray(at, at + p.size).toString('utf8'));
      at += p.size;
    }
  }
  return whole;
}

/**
 * The section's output put back together and checked against what the pod hashed; a section cut in
 * pieces is handed on in its pieces (the joined text, once checked, is dropped: one per node would
 * be 17 MB a node at 10k Services). Undefined when it does not match.
 */
function assemble(
  h: HashedSection,
  store: ContentStore,
  whole: Map<string, string>,
): { stdout: string; pieced?: PiecedSection } | undefined {
  let text: string | undefined;
  let pieces: string[] | undefined;
  if (h.cut !== undefined) {
    pieces = [];
    for (const p of h.cut.pieces) {
      const t = store.get(p.id);
      if (t === undefined) return undefined;
      pieces.push(t);
    }
    text = join(pieces, h.cut.counters);
  } else text = whole.get(h.section) ?? (h.id === undefined ? undefined : store.get(h.id));
  if (text === undefined || Buffer.byteLength(text) !== h.size) return undefined;
  if (h.id !== undefined && blobId(text) !== h.id) return undefined;
  if (h.cut === undefined || pieces === undefined) return { stdout: text };
  const held = store.pieces;
  held.holders.set(h.section, (held.holders.get(h.section) ?? 0) + 1);
  return {
    stdout: '',
    pieced: PiecedSection.of(
      held,
      h.cut.pieces.map((p) => p.id),
      pieces,
      h.cut.counters,
    ),
  };
}

/** Counts of what one node's collection moved, for tests and the benchmark. */
export interface DedupReport {
  /** Sections moved again whole because their pieces did not give back what the pod hashed. */
  refetched: string[];
  /** The pod's outputs came through gzip. */
  gzip: boolean;
  /** Why this path failed on the node, when the plain batch collected it instead. */
  fallback?: string;
}

/** A failure of the scripts or their output, which the plain batch may not share. */
function plainMayWork(e: unknown, o: PodAccessOptions): boolean {
  return o.signal?.aborted !== true && !(e instanceof TransportError) && !(e instanceof ApiError);
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 300);

async function collectByHashes(
  client: KubeClient,
  namespace: string,
  pod: string,
  request: BatchRequest,
  store: ContentStore,
  o: PodAccessOptions,
  report: (r: DedupReport) => void,
): Promise<BatchResult> {
  const cut = request.commands.map((c) => c.section).filter(isPieced);
  let hashes: HashResult;
  let gzip: boolean;
  try {
    const first = await execProbe(client, namespace, pod, ['sh', '-c', hashScript(request, pod, cut)], request, o);
    gzip = first.stdoutBytes[0] === 0x1f;
    hashes = parseHashes(unzip(first.stdoutBytes));
  } catch (e) {
    if (!plainMayWork(e, o)) throw e;
    const plain = await runBatch(client, namespace, pod, request, o);
    report({ refetched: [], gzip: false, fallback: `the hashes: ${reason(e)}` });
    return plain;
  }
  let fetchFailed: string | undefined;
  let settle = (): void => undefined;
  const requests = wanted(
    hashes,
    store,
    new Promise<void>((resolve) => {
      settle = resolve;
    }),
  );
  let whole = new Map<string, string>();
  try {
    if (requests.length > 0) {
      const second = await execProbe(client, namespace, pod, ['sh', '-c', fetchScript(pod, requests)], request, o);
      whole = storeFetched(hashes, requests, unzip(second.stdoutBytes), store);
    }
  } catch (e) {
    // What did not arrive is moved whole below, with the sections whose pieces another node failed to send.
    if (!plainMayWork(e, o)) throw e;
    fetchFailed = `the fetch: ${reason(e)}`;
  } finally {
    settle();
  }
  await store.arrived(idsOf(hashes));
  // Every node waiting for the same fetch resumes in one run of microtasks, and each puts ~17 MB
  // back together and hashes it (10k Services): one turn of the event loop each, so that the
  // other nodes' exec streams are read in between.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const commands = new Map<string, BatchCommandResult>();
  const again: string[] = [];
  for (const h of hashes.sections.values()) {
    const out = h.code === 0 ? assemble(h, store, whole) : { stdout: '' };
    if (out === undefined) again.push(h.section);
    else commands.set(h.section, { code: h.code, ...out, stderr: h.stderr });
  }
  if (again.length > 0) {
    const fresh = await runBatch(
      client,
      namespace,
      pod,
      { ...request, commands: request.commands.filter((c) => again.includes(c.section)), dirs: [], files: [] },
      o,
    );
    for (const [s, r] of fresh.commands) commands.set(s, r);
  }
  report({ refetched: again, gzip, ...(fetchFailed !== undefined ? { fallback: fetchFailed } : {}) });
  return { commands, records: parseBatch(hashes.files).records };
}

/** HostAccess that moves only what `store` lacks; `report` hears what the node's collection did. */
export function dedupAccess(
  client: KubeClient,
  namespace: string,
  pod: string,
  store: ContentStore,
  o: PodAccessOptions,
  report: (r: DedupReport) => void = () => undefined,
): HostAccess {
  const request = probeBatch(o.commandTimeoutMs);
  let batch: Promise<BatchResult> | undefined;
  return batchAccess(() => (batch ??= collectByHashes(client, namespace, pod, request, store, o, report)), request, o);
}
