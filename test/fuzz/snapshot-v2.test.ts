// The v2 snapshot reader on cut, random and hostile input: an InputError, never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeSnapshot, readSnapshot } from '../../src/snapshot/io.ts';
import { emptyObjects, SNAPSHOT_API_VERSION } from '../../src/snapshot/types.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { encodeV2 } from '../helpers/snapshot-v2.ts';
import { InputError } from '../../src/lib/errors.ts';
import { mulberry32 } from './prng.ts';

const SAVE =
  '*nat\n:PREROUTING ACCEPT [3:180]\n:KUBE-SERVICES - [0:0]\n[1:60] -A PREROUTING -j KUBE-SERVICES\nCOMMIT\n';
const snap: Snapshot = {
  apiVersion: SNAPSHOT_API_VERSION,
  kind: 'Snapshot',
  capturedAt: 'x',
  objects: { ...emptyObjects(), nodes: [{ metadata: { name: 'n' } }] },
  hosts: {
    n: { sections: { 'ip-rule': '[]', 'iptables-nft-save': SAVE }, errors: { ipvsadm: 'not found' } },
    m: { sections: { 'ip-rule': '[]', 'iptables-nft-save': SAVE.replace('[1:60]', '[2:120]') }, errors: {} },
  },
};

const encode = encodeV2;

function tryDecode(buf: Buffer): void {
  try {
    decodeSnapshot(buf, 'fuzz');
  } catch (e) {
    assert.ok(e instanceof InputError, `unexpected ${String(e)}`);
  }
}

async function tryRead(buf: Buffer): Promise<void> {
  const stdin = new PassThrough();
  stdin.end(buf);
  try {
    await readSnapshot('-', { stdin });
  } catch (e) {
    assert.ok(e instanceof InputError, `unexpected ${String(e)}`);
  }
}

test('a v2 snapshot reads back, in memory and streamed', async () => {
  const gz = await encode(snap);
  assert.deepEqual(decodeSnapshot(gz, 'v2'), snap);
  const stdin = new PassThrough();
  stdin.end(gz);
  assert.deepEqual(await readSnapshot('-', { stdin }), snap);
});

test('every cut of a v2 snapshot, compressed and decompressed', async () => {
  const gz = await encode(snap);
  const text = gunzipSync(gz);
  for (let i = 0; i < gz.length; i++) {
    tryDecode(gz.subarray(0, i));
    await tryRead(gz.subarray(0, i));
  }
  for (let i = 0; i < text.length; i++) tryDecode(gzipSync(text.subarray(0, i)));
});

test('random changes to the records', async () => {
  const text = gunzipSync(await encode(snap));
  const rnd = mulberry32(20261204);
  for (let n = 0; n < 1500; n++) {
    const m = Buffer.from(text);
    for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    tryDecode(gzipSync(m));
  }
});

test('wrong JSON types in every field of every record', async () => {
  const lines = gunzipSync(await encode(snap))
    .toString()
    .split('\n')
    .filter((l) => l !== '');
  const values: unknown[] = [
    null,
    1,
    -1,
    0,
    1.5,
    'x',
    [],
    {},
    true,
    [[]],
    [null],
    { blob: 1 },
    { parts: [9], counters: 'x' },
  ];
  for (let i = 0; i < lines.length; i++) {
    const r = JSON.parse(lines[i]!) as Record<string, unknown>;
    const keys = Object.keys(r);
    const sub = (v: unknown) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : []);
    for (const key of keys) {
      for (const v of values) {
        const change = (rec: Record<string, unknown>) =>
          gzipSync([...lines.slice(0, i), JSON.stringify(rec), ...lines.slice(i + 1)].join('\n'));
        tryDecode(change({ ...r, [key]: v }));
        for (const k2 of sub(r[key]))
          tryDecode(change({ ...r, [key]: { ...(r[key] as Record<string, unknown>), [k2]: v } }));
      }
    }
  }
});
