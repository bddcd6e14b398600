import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  MAX_SNAPSHOT_BYTES,
  decodeSnapshot,
  encodeSnapshot,
  readSnapshot,
  writeSnapshot,
} from '../../../src/snapshot/io.ts';
import { emptyObjects, SNAPSHOT_API_VERSION } from '../../../src/snapshot/types.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';
import { InputError } from '../../../src/lib/errors.ts';

const snap: Snapshot = {
  apiVersion: SNAPSHOT_API_VERSION,
  kind: 'Snapshot',
  capturedAt: '2026-11-23T10:00:00Z',
  context: 'lab',
  objects: { ...emptyObjects(), nodes: [{ metadata: { name: 'node-a' } }] },
  hosts: { 'node-a': { sections: { 'ip-rule': '[]' }, errors: { ipvsadm: 'ipvsadm: not found' } } },
};

test('round-trips through JSON and gzip files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-snap-'));
  for (const name of ['s.json', 's.json.gz']) {
    const p = join(dir, name);
    await writeSnapshot(p, snap);
    assert.deepEqual(await readSnapshot(p), snap);
  }
  assert.equal(encodeSnapshot(snap, true)[0], 0x1f, 'gzip magic');
});

test('gzip is recognised by content, not by file name', () => {
  assert.deepEqual(decodeSnapshot(encodeSnapshot(snap, true), 'x.json'), snap);
});

function rejects(doc: unknown, pattern: RegExp): void {
  assert.throws(
    () => decodeSnapshot(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), 'in.json'),
    (e: unknown) => e instanceof InputError && pattern.test(e.message),
  );
}

test('refuses what is not a snapshot, naming where', () => {
  rejects('not json', /not JSON/);
  rejects([1, 2], /not an object/);
  rejects({ kind: 'Pod', apiVersion: 'v1' }, /not a netcheck snapshot/);
  rejects({ kind: 'Snapshot', apiVersion: 'netcheck.dev/v9' }, /apiVersion "netcheck.dev\/v9" is not supported/);
  rejects({ ...snap, objects: { nodes: {} } }, /objects\.nodes must be an array/);
  rejects({ ...snap, objects: { pods: [1] } }, /objects\.pods\[0\] must be an object/);
  rejects(
    { ...snap, hosts: { a: { sections: { 'ip-route': 5 } } } },
    /hosts\.a\.sections\.ip-route must be a string, not number/,
  );
  rejects({ ...snap, hosts: [] }, /hosts must be an object/);
});

test('a missing file is a clear error', async () => {
  await assert.rejects(
    readSnapshot('/nonexistent/x.json'),
    (e: unknown) => e instanceof InputError && /cannot read snapshot .*ENOENT/.test(e.message),
  );
});

test('a corrupt gzip stream is a clear error', () => {
  const gz = encodeSnapshot(snap, true);
  const cut = gz.subarray(0, gz.length - 20);
  assert.throws(
    () => decodeSnapshot(cut, 'cut.gz'),
    (e: unknown) => e instanceof InputError,
  );
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-snap-'));
  writeFileSync(join(dir, 'x'), cut);
});

test('"-" reads stdin, plain or gzipped, in chunks', async () => {
  const chunks = (b: Buffer) => Readable.from([b.subarray(0, 7), b.subarray(7)]);
  assert.deepEqual(await readSnapshot('-', { stdin: chunks(encodeSnapshot(snap, false)) }), snap);
  assert.deepEqual(await readSnapshot('-', { stdin: chunks(encodeSnapshot(snap, true)) }), snap);
});

test('reading stops at the cap: of the file, and of what gzip expands it to', async () => {
  const big = Buffer.from(`{"pad": "${'x'.repeat(300_000)}"}`);
  const tooBig = (what: RegExp) => (e: unknown) => e instanceof InputError && what.test(e.message);
  await assert.rejects(readSnapshot('-', { stdin: Readable.from([big]), maxBytes: 100_000 }), tooBig(/larger than/));
  // 300 kB of JSON that gzips to about 1 kB: the compressed size is under the cap, the expansion is not.
  const bomb = gzipSync(big);
  assert.ok(bomb.length < 100_000);
  await assert.rejects(readSnapshot('-', { stdin: Readable.from([bomb]), maxBytes: 100_000 }), tooBig(/expands to/));
  assert.throws(() => decodeSnapshot(bomb, 'bomb.gz', 100_000), tooBig(/expands to/));
  assert.ok(MAX_SNAPSHOT_BYTES >= 100 * 1024 * 1024 && MAX_SNAPSHOT_BYTES < 512 * 1024 * 1024);
});

test('input that is neither JSON nor gzip is refused at its first byte', async () => {
  let pulled = 0;
  const zeros = Readable.from(
    (function* () {
      for (;;) {
        pulled++;
        yield Buffer.alloc(65536);
      }
    })(),
  );
  await assert.rejects(readSnapshot('-', { stdin: zeros }), /neither JSON nor gzip \(first byte 0x00\)/);
  assert.ok(pulled <= 2, `read ${pulled} chunks`);
});
