// The batch script a probe pod runs, run for real (as root, in its own PID namespace like a
// hostPID pod whose PID 1 is "the node"): every byte of every command comes back, with its exit
// code, and files and listings as the local probe reads them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { batchArgv, parseBatch } from '../../src/collect/kube/probe-pod.ts';

test('batch script: commands, not-found, listings, files, sizes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-batch-'));
  try {
    mkdirSync(join(dir, 'cni'));
    writeFileSync(join(dir, 'cni', '10-calico.conflist'), '{"name":"k8s-pod-network"}\n');
    writeFileSync(join(dir, 'cni', 'notes.txt'), 'ignored');
    writeFileSync(join(dir, 'cni', "it's odd.conf"), Buffer.from([0x7b, 0x0a, 0xc3, 0xa9, 0x7d]));
    writeFileSync(join(dir, 'big.env'), 'x'.repeat(2000));
    const out = execFileSync(
      'unshare',
      [
        '--pid',
        '--fork',
        '--mount-proc',
        '--',
        ...batchArgv({
          commands: [
            { section: 'bytes', argv: ['printf', '@@netcheck C fake 0 1 1\\n\\000\\377end'] },
            { section: 'fails', argv: ['sh', '-c', 'echo out; echo err >&2; exit 3'] },
            { section: 'missing', argv: ['no-such-tool-netcheck', '-x'] },
            { section: 'quoted', argv: ['echo', "a b 'c'", '$HOME'] },
          ],
          dirs: [
            { dir: join(dir, 'cni'), suffixes: ['.conf', '.conflist'] },
            { dir: join(dir, 'absent'), suffixes: ['.conf'] },
          ],
          files: [join(dir, 'big.env'), join(dir, 'none.env')],
          maxFileBytes: 1000,
          commandTimeoutSeconds: 5,
        }),
      ],
      { maxBuffer: 1 << 26 },
    );
    const r = parseBatch(out);
    assert.deepEqual(
      Buffer.from(r.commands.get('bytes')!.stdout, 'utf8'),
      Buffer.from('@@netcheck C fake 0 1 1\n\u0000\ufffdend', 'utf8'),
    );
    assert.deepEqual(r.commands.get('fails'), { code: 3, stdout: 'out\n', stderr: 'err\n' });
    assert.equal(r.commands.get('missing')!.code, 127);
    assert.match(r.commands.get('missing')!.stderr, /no-such-tool-netcheck: not found/);
    assert.equal(r.commands.get('quoted')!.stdout, "a b 'c' $HOME\n");
    const rec = (type: string, path: string) => r.records.find((x) => x.type === type && x.path === path);
    assert.deepEqual(rec('D', join(dir, 'cni'))?.lines.sort(), ['10-calico.conflist', "it's odd.conf", 'notes.txt']);
    assert.equal(rec('D', join(dir, 'absent'))?.code, 'ENOENT');
    assert.equal(
      Buffer.from(rec('F', join(dir, 'cni', '10-calico.conflist'))!.lines.join(''), 'base64').toString(),
      '{"name":"k8s-pod-network"}\n',
    );
    assert.deepEqual(
      Buffer.from(rec('F', join(dir, 'cni', "it's odd.conf"))!.lines.join(''), 'base64'),
      Buffer.from([0x7b, 0x0a, 0xc3, 0xa9, 0x7d]),
    );
    assert.equal(rec('F', join(dir, 'cni', 'notes.txt')), undefined);
    assert.equal(rec('F', join(dir, 'big.env'))?.code, 'TOOBIG');
    assert.equal(rec('F', join(dir, 'none.env'))?.code, 'ENOENT');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
