// plugin.yaml against the rules of krew's validate-krew-manifest (krew/validate-manifest.ts), and
// each rule against a manifest broken in exactly that way, so that no rule passes by accident.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { VERSION } from '../../src/cli/version.ts';
import { MANIFEST_PATH, packageVersion, readChecksums, releaseUri, renderManifest } from '../../krew/manifest.ts';
import { PLATFORMS, archiveName } from '../../krew/platforms.ts';
import { selectorMatches, validateKrewManifest } from '../../krew/validate-manifest.ts';

type Obj = Record<string, unknown>;
const text = readFileSync(MANIFEST_PATH, 'utf8');
// In the krew index the manifest is plugins/netcheck.yaml; at the repository root it is
// plugin.yaml (the name krew's docs and tools such as krew-release-bot look for).
const INDEX_NAME = 'netcheck.yaml';
const fresh = (): Obj => parse(text) as Obj;
const spec = (d: Obj) => d['spec'] as Obj;
const platform = (d: Obj, i: number) => (spec(d)['platforms'] as Obj[])[i]!;

function errorsAfter(mutate: (d: Obj) => void, file = INDEX_NAME): string[] {
  const d = fresh();
  mutate(d);
  return validateKrewManifest(file, d);
}

describe('plugin.yaml', () => {
  test('passes every krew rule when named netcheck.yaml', () => {
    assert.deepEqual(validateKrewManifest(INDEX_NAME, fresh()), []);
  });

  test("its version is package.json's, with a v, and the CLI prints the same", () => {
    assert.equal(spec(fresh())['version'], `v${packageVersion()}`);
    assert.equal(VERSION, packageVersion());
  });

  test('offers the six platforms, each from the GitHub release of this version', () => {
    const d = fresh();
    const platforms = spec(d)['platforms'] as Obj[];
    assert.equal(platforms.length, 6);
    for (const p of PLATFORMS) {
      const matches = platforms.filter((pl) => selectorMatches(pl['selector'], { os: p.os, arch: p.arch }));
      assert.equal(matches.length, 1, `${p.os}/${p.arch}`);
      assert.equal(matches[0]!['uri'], releaseUri(p, packageVersion()));
      assert.ok(String(matches[0]!['uri']).endsWith(archiveName(p, packageVersion())));
      assert.equal(matches[0]!['bin'], p.os === 'windows' ? 'kubectl-netcheck.exe' : 'kubectl-netcheck');
    }
  });

  test('is exactly what krew/manifest.ts renders (nobody edited it by hand)', () => {
    assert.equal(text, renderManifest(packageVersion(), readChecksums(text)));
    assert.equal(Object.keys(readChecksums(text)).length, 6);
  });

  test('its caveats name the privileged probe pods, their namespace and the RBAC manifest', () => {
    const c = String(spec(fresh())['caveats']);
    for (const word of ['privileged', 'hostNetwork', 'hostPID', 'namespace', 'deploy/rbac.yaml', 'pods/exec'])
      assert.ok(c.includes(word), word);
  });
});

describe('each krew rule rejects a manifest that breaks it', () => {
  const cases: [string, (d: Obj) => void, RegExp, string?][] = [
    ['file extension', () => undefined, /expected manifest extension "\.yaml" but found "\.yml"/, 'netcheck.yml'],
    ['name = file name', () => undefined, /plugin should be named "plugin", not "netcheck"/, 'plugin.yaml'],
    ['unsafe name', (d) => ((d['metadata'] as Obj)['name'] = 'net check'), /not allowed/, 'net check.yaml'],
    ['Windows reserved name', (d) => ((d['metadata'] as Obj)['name'] = 'con'), /"con" is not allowed/, 'con.yaml'],
    [
      'apiVersion',
      (d) => (d['apiVersion'] = 'krew.googlecontainertools.github.com/v1alpha1'),
      /apiVersion=.*not supported/,
    ],
    ['kind', (d) => (d['kind'] = 'Plugins'), /kind="Plugins"/],
    ['short description present', (d) => delete spec(d)['shortDescription'], /should have a short description/],
    [
      'short description on one line',
      (d) => (spec(d)['shortDescription'] = 'two\nlines'),
      /line breaks in short description/,
    ],
    [
      'short description length',
      (d) => (spec(d)['shortDescription'] = 'word '.repeat(15).trim()),
      /`shortDescription` exceeds 70/,
    ],
    [
      'description line length',
      (d) => (spec(d)['description'] = `${'word '.repeat(17)}\n`),
      /`description` exceeds 80/,
    ],
    ['caveats line length', (d) => (spec(d)['caveats'] = `${'word '.repeat(17)}\n`), /`caveats` exceeds 80/],
    ['version present', (d) => delete spec(d)['version'], /should have a version specified/],
    ['version has a v', (d) => (spec(d)['version'] = '0.1.0'), /not starting with 'v'/],
    ['version is semver', (d) => (spec(d)['version'] = 'v0.1'), /semantic version/],
    ['version has no leading zeros', (d) => (spec(d)['version'] = 'v0.01.0'), /semantic version/],
    ['platforms present', (d) => (spec(d)['platforms'] = []), /should have a platform specified/],
    ['uri present', (d) => delete platform(d, 0)['uri'], /platforms\[0\]: `uri` has to be set/],
    ['sha256 present', (d) => delete platform(d, 1)['sha256'], /platforms\[1\]: `sha256` sum has to be set/],
    [
      'sha256 lowercase',
      (d) =>
        (platform(d, 2)['sha256'] = String(platform(d, 2)['sha256'])
          .toUpperCase()
          .replace(/^[0-9]/, 'A')),
      /platforms\[2\]: `sha256` value .* is not valid/,
    ],
    [
      'sha256 64 hex digits',
      (d) => (platform(d, 2)['sha256'] = 'abc123'),
      /platforms\[2\]: `sha256` value abc123 is not valid/,
    ],
    ['bin present', (d) => delete platform(d, 3)['bin'], /platforms\[3\]: `bin` has to be set/],
    [
      'bin ends in .exe on Windows',
      (d) => (platform(d, 4)['bin'] = 'kubectl-netcheck'),
      /platforms\[4\]: bin "kubectl-netcheck" for Windows must end in \.exe/,
    ],
    [
      'bin has no .exe elsewhere',
      (d) => (platform(d, 0)['bin'] = 'kubectl-netcheck.exe'),
      /platforms\[0\]: bin "kubectl-netcheck.exe" ends in \.exe on a non-Windows/,
    ],
    [
      'files not empty',
      (d) => (platform(d, 0)['files'] = []),
      /platforms\[0\]: `files` is invalid: `files` has to be unspecified or non-empty/,
    ],
    ['files from', (d) => ((platform(d, 0)['files'] as Obj[])[0]!['from'] = ''), /`from` field has to be set/],
    ['files to', (d) => delete (platform(d, 0)['files'] as Obj[])[1]!['to'], /`to` field has to be set/],
    ['files install a LICENSE', (d) => (platform(d, 0)['files'] as Obj[]).pop(), /platforms\[0\]: no LICENSE/],
    [
      'files install the bin',
      (d) => (platform(d, 0)['files'] as Obj[]).shift(),
      /platforms\[0\]: `files` does not install the bin/,
    ],
    ['selector present', (d) => delete platform(d, 0)['selector'], /nil selector is not supported/],
    ['selector not empty', (d) => (platform(d, 0)['selector'] = {}), /empty selector is not supported/],
    [
      'selector keys only os and arch',
      (d) => (((platform(d, 0)['selector'] as Obj)['matchLabels'] as Obj)['libc'] = 'glibc'),
      /key "libc" not supported/,
    ],
    [
      'matchLabels not empty',
      (d) =>
        (platform(d, 0)['selector'] = {
          matchLabels: {},
          matchExpressions: [{ key: 'os', operator: 'In', values: ['linux'] }],
        }),
      /`matchLabels` specified but empty/,
    ],
    [
      'matchExpressions not empty',
      (d) => (platform(d, 0)['selector'] = { matchLabels: { os: 'linux', arch: 'amd64' }, matchExpressions: [] }),
      /`matchExpressions` specified but empty/,
    ],
    [
      'selector matches a supported platform',
      (d) => (((platform(d, 0)['selector'] as Obj)['matchLabels'] as Obj)['arch'] = 'riscv64'),
      /platforms\[0\]'s selector doesn't match any supported platforms/,
    ],
    [
      'selectors do not overlap',
      (d) => (platform(d, 1)['selector'] = { matchLabels: { os: 'linux' } }),
      /indexes 0 1\) have overlapping selectors that select os=linux\/arch=amd64/,
    ],
    [
      'expression selectors overlap too',
      (d) =>
        (platform(d, 5)['selector'] = {
          matchExpressions: [
            { key: 'os', operator: 'In', values: ['windows'] },
            { key: 'arch', operator: 'NotIn', values: ['386'] },
          ],
        }),
      /indexes 4 5\) have overlapping selectors that select os=windows\/arch=amd64/,
    ],
  ];
  for (const [rule, mutate, want, file] of cases) {
    test(rule, () => {
      const errors = errorsAfter(mutate, file);
      assert.ok(
        errors.some((e) => want.test(e)),
        `expected ${want} in:\n${errors.join('\n')}`,
      );
    });
  }
});
