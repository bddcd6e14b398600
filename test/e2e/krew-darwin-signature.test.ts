// The macOS executables must carry a valid ad-hoc code signature (Apple silicon SIGKILLs one that
// does not match its pages). Checked without a Mac: krew/macho-signature.ts recomputes the page
// hashes, and krew/macho-sign.ts must reproduce, byte for byte, the signature bun writes for
// darwin/arm64 (which bun's CI runs on real Macs): so the signer used for darwin/amd64, which
// bun 1.4.5 leaves with the runtime's stale Developer ID signature, writes what macOS accepts.
// Cross-compiling fetches bun's darwin runtimes from the npm registry once (~35 MB each).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bunRuns, compile } from '../../krew/build.ts';
import { adhocSign } from '../../krew/macho-sign.ts';
import { checkMachoSignature } from '../../krew/macho-signature.ts';
import { PLATFORMS } from '../../krew/platforms.ts';

const bun = bunRuns();
const darwin = (arch: string) => PLATFORMS.find((p) => p.os === 'darwin' && p.arch === arch)!;

describe('macOS code signatures', {
  skip: bun.ok ? false : `bun cannot run here: ${bun.ok ? '' : bun.why}`,
  concurrency: false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-darwin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('darwin/arm64: bun signs validly, and our signer writes the very same bytes', () => {
    const bin = readFileSync(compile(darwin('arm64'), dir));
    const check = checkMachoSignature(bin);
    assert.deepEqual(check.problems, []);
    assert.ok(check.pages > 1000);
    assert.ok(adhocSign(bin, 'a.out').equals(bin), 'adhocSign differs from the signature bun wrote');
  });

  test('darwin/amd64: the release build re-signs what bun left invalid', () => {
    const bin = readFileSync(compile(darwin('amd64'), dir));
    assert.deepEqual(checkMachoSignature(bin).problems, []);
  });

  test('the checker catches a changed page, a short codeLimit and stray bytes', () => {
    const bin = readFileSync(join(dir, 'darwin_arm64', 'kubectl-netcheck'));
    const page = Buffer.from(bin);
    page[5000] = page[5000]! ^ 1;
    assert.deepEqual(checkMachoSignature(page).problems, [
      `1 of ${checkMachoSignature(bin).pages} page hashes do not match`,
    ]);
    assert.match(
      checkMachoSignature(Buffer.concat([bin, Buffer.alloc(7)])).problems.join(),
      /7 stray bytes after the signature/,
    );
    assert.equal(checkMachoSignature(Buffer.from('not a mach-o file at all, just text')).ok, false);
  });
});
