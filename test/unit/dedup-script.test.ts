// The probe's hash script (src/collect/kube/dedup-script.ts) run for real with each awk on this
// machine (BusyBox's, as in the Alpine probe image, and mawk), on every example's iptables-save
// text: its pieces put together with its counters give the text back byte for byte through
// pieces.ts `join`, its counters column is pieces.ts `cut`'s, and its ids are the pieces' blob ids.
// A text already holding "[]" is not cut (sent whole). Framing errors are refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join as pathJoin } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { fetchScript, hashScript, parseFetch, parseHashes } from '../../src/collect/kube/dedup-script.ts';
import type { BatchRequest } from '../../src/collect/kube/probe-pod.ts';
import { blobId, cut, join } from '../../src/snapshot/v2/pieces.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;
const AWKS = ['/usr/bin/busybox', '/usr/bin/mawk'].filter(existsSync);
const TOOLS = ['sha256sum', 'gzip', 'wc', 'cat', 'ls', 'mkdir', 'rm', 'xargs', 'base64'];

/** Runs hash and fetch scripts on `text` as the output of one command, with `awk` as the image's awk. */
function roundTrip(text: string, awk: string): { cut: boolean; text: string } {
  const dir = mkdtempSync(pathJoin(tmpdir(), 'netcheck-dedup-'));
  try {
    const bin = pathJoin(dir, 'bin');
    mkdirSync(bin);
    for (const t of TOOLS) symlinkSync('/usr/bin/busybox', pathJoin(bin, t));
    symlinkSync(awk, pathJoin(bin, 'awk'));
    symlinkSync('/bin/dash', pathJoin(bin, 'sh'));
    writeFileSync(pathJoin(dir, 'rules'), text);
    const request: BatchRequest = {
      commands: [{ section: 'iptables-nft-save', argv: ['cat', pathJoin(dir, 'rules')] }],
      dirs: [],
      files: [],
      maxFileBytes: 1000,
      commandTimeoutSeconds: 60,
    };
    const env = { PATH: bin, TMPDIR: dir };
    const run = (script: string) => {
      const out = execFileSync(pathJoin(bin, 'sh'), ['-c', script], { env, maxBuffer: 1 << 28 });
      return out[0] === 0x1f ? gunzipSync(out) : out;
    };
    const h = parseHashes(run(hashScript(request, 'p', ['iptables-nft-save']))).sections.get('iptables-nft-save')!;
    assert.equal(h.id, blobId(text));
    assert.equal(h.size, Buffer.byteLength(text));
    if (h.cut === undefined) {
      const got = parseFetch(run(fetchScript('p', [{ section: 'iptables-nft-save', whole: true }])));
      return { cut: false, text: got.whole.get('iptables-nft-save')!.toString('utf8') };
    }
    const all = h.cut.pieces.map((_, i) => i);
    const got = parseFetch(run(fetchScript('p', [{ section: 'iptables-nft-save', pieces: all }])));
    const bytes = got.pieces.get('iptables-nft-save')!;
    const pieces: string[] = [];
    let at = 0;
    for (const p of h.cut.pieces) {
      const piece = bytes.subarray(at, (at += p.size)).toString('utf8');
      assert.equal(blobId(piece), p.id);
      pieces.push(piece);
    }
    assert.equal(at, bytes.length);
    assert.equal(h.cut.counters, cut(text)?.counters);
    // The state is gone after the fetch.
    assert.deepEqual(readdirSync(dir).sort(), ['bin', 'rules']);
    return { cut: true, text: join(pieces, h.cut.counters)! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the shell cut gives every example iptables-save text back byte for byte, with each awk', () => {
  const texts = new Set<string>();
  for (const f of readdirSync(EXAMPLES).filter((n) => n.endsWith('.json'))) {
    const s = JSON.parse(readFileSync(pathJoin(EXAMPLES, f), 'utf8')) as Snapshot;
    for (const h of Object.values(s.hosts ?? {}))
      for (const k of ['iptables-nft-save', 'iptables-legacy-save']) if (h.sections[k]) texts.add(h.sections[k]);
  }
  assert.ok(texts.size >= 10, `${texts.size} texts`);
  const sample = [...texts].slice(0, 12);
  for (const awk of AWKS)
    for (const t of sample) {
      const r = roundTrip(t, awk);
      assert.ok(r.cut, awk);
      assert.ok(r.text === t, `${awk}: not byte-identical`);
    }
});

test('a text already holding "[]" where a counter would be is sent whole', () => {
  const t = '*filter\n:INPUT ACCEPT []\n[1:2] -A INPUT -j ACCEPT\nCOMMIT\n';
  for (const awk of AWKS) assert.deepEqual(roundTrip(t, awk), { cut: false, text: t });
});

test('framing errors are refused', () => {
  assert.throws(() => parseHashes(Buffer.from('@@netcheck H s 0 5 - 0\n')), /ends before its files/);
  assert.throws(() => parseFetch(Buffer.from('@@netcheck W s 10\nabc')), /cut short/);
  assert.throws(() => parseFetch(Buffer.from('garbage\n')), /unexpected probe output/);
});
