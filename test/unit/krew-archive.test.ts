// The release archives, read back by the real tools: GNU tar for .tar.gz, Python's zipfile (the
// same reader family as Go's archive/zip that krew uses: central directory first) for .zip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tarGz, zip } from '../../krew/archive.ts';
import type { ArchiveEntry } from '../../krew/archive.ts';

const dir = mkdtempSync(join(tmpdir(), 'netcheck-archive-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// An executable whose size is not a multiple of the tar block, and a text file.
const entries: ArchiveEntry[] = [
  {
    name: 'kubectl-netcheck',
    data: Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7919) % 251)),
    mode: 0o755,
  },
  { name: 'LICENSE', data: Buffer.from('Apache License\nVersion 2.0\n'), mode: 0o644 },
];

describe('release archives', () => {
  test('tar.gz: GNU tar lists and extracts both files with their modes and contents', () => {
    const file = join(dir, 'a.tar.gz');
    writeFileSync(file, tarGz(entries));
    const list = spawnSync('tar', ['tvzf', file], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^-rwxr-xr-x root\/root +70001 2000-01-01 00:00 kubectl-netcheck$/m);
    assert.match(list.stdout, /^-rw-r--r-- root\/root +27 2000-01-01 00:00 LICENSE$/m);
    const out = join(dir, 'tar-out');
    mkdirSync(out);
    const x = spawnSync('tar', ['xzf', file, '-C', out], { encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    for (const e of entries) {
      assert.deepEqual(readFileSync(join(out, e.name)), e.data);
      assert.equal(statSync(join(out, e.name)).mode & 0o777, e.mode);
    }
  });

  test('the same input gives the same bytes (reproducible release)', () => {
    assert.deepEqual(tarGz(entries), tarGz(entries));
    assert.deepEqual(zip(entries), zip(entries));
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  test('zip: Python zipfile verifies the CRCs and reads both files and their Unix modes', {
    skip: python ? false : 'python3 is not installed (it reads the zip back)',
  }, () => {
    const file = join(dir, 'a.zip');
    writeFileSync(file, zip(entries));
    const script = [
      'import sys, zipfile, hashlib',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'for i in z.infolist(): print(i.filename, oct(i.external_attr >> 16), i.file_size, hashlib.sha256(z.read(i)).hexdigest())',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(
      r.stdout,
      entries
        .map((e) => `${e.name} ${`0o${(0o100000 | e.mode).toString(8)}`} ${e.data.length} ${sha(e.data)}\n`)
        .join(''),
    );
  });
});
