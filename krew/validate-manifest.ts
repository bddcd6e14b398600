// The checks krew's own `validate-krew-manifest` runs on a manifest before the krew index accepts
// it, so that a release is not bounced by the index's CI. Mirrored from kubernetes-sigs/krew:
//   internal/index/validation/validate.go   ValidatePlugin, validatePlatform, validateFiles, validateSelector
//   internal/installation/semver/version.go Parse: a leading "v", then k8s ParseSemantic
//   cmd/validate-krew-manifest/main.go      file name = plugin name + ".yaml", every platform
//                                           selects a supported os/arch, no os/arch selected twice,
//                                           a LICENSE file among the installed files
// plus the line-length rule older validate-krew-manifest versions warned about (shortDescription
// 70, description and caveats 80, a line that is one word may be longer), and rules krew's
// developer guide states but code does not check (bin ends in .exe on Windows).
import { basename, extname } from 'node:path';

export const API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2';

/** cmd/validate-krew-manifest/main.go allPlatforms(). */
export const KREW_PLATFORMS: readonly { os: string; arch: string }[] = [
  { os: 'windows', arch: '386' },
  { os: 'windows', arch: 'amd64' },
  { os: 'windows', arch: 'arm64' },
  { os: 'linux', arch: '386' },
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm' },
  { os: 'linux', arch: 'arm64' },
  { os: 'linux', arch: 'ppc64le' },
  { os: 'darwin', arch: '386' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
];

const WINDOWS_FORBIDDEN = [
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
];
/** cmd/validate-krew-manifest/main.go licenseFiles. */
const LICENSE_FILES = new Set([
  'license',
  'license.txt',
  'license.md',
  'licenses',
  'licenses.txt',
  'licenses.md',
  'copying',
  'copying.txt',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** k8s.io/apimachinery/pkg/util/version ParseSemantic: MAJOR.MINOR.PATCH[-pre][+build], no leading zeros. */
const SEMVER =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function isSafePluginName(name: string): boolean {
  return /^[\w-]+$/.test(name) && !WINDOWS_FORBIDDEN.some((f) => f.toLowerCase() === name.toLowerCase());
}

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

/** metav1.LabelSelectorAsSelector(sel).Matches({os, arch}); undefined selector matches nothing. */
export function selectorMatches(sel: unknown, labels: Record<string, string>): boolean {
  if (!isObj(sel)) return false;
  const reqs: Requirement[] = [];
  if (isObj(sel['matchLabels']))
    for (const [k, v] of Object.entries(sel['matchLabels'])) reqs.push({ key: k, operator: 'In', values: [str(v)] });
  if (Array.isArray(sel['matchExpressions'])) {
    for (const e of sel['matchExpressions']) {
      if (!isObj(e)) return false;
      reqs.push({
        key: str(e['key']),
        operator: str(e['operator']),
        values: Array.isArray(e['values']) ? e['values'].map(str) : [],
      });
    }
  }
  if (reqs.length === 0) return false; // LabelSelectorAsSelector: empty selector → Everything, but validateSelector rejects it first
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const v = labels[r.key] ?? '';
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(v);
      case 'NotIn':
        return !has || !r.values.includes(v);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

function validateSelector(sel: unknown): string | undefined {
  if (!isObj(sel)) return 'nil selector is not supported';
  const ml = sel['matchLabels'];
  const me = sel['matchExpressions'];
  if ((ml === undefined || ml === null) && !(Array.isArray(me) && me.length > 0))
    return 'empty selector is not supported';
  const keys = [
    ...(isObj(ml) ? Object.keys(ml) : []),
    ...(Array.isArray(me) ? me.map((e) => (isObj(e) ? str(e['key']) : '')) : []),
  ];
  const bad = keys.find((k) => k !== 'os' && k !== 'arch');
  if (bad !== undefined) return `key "${bad}" not supported`;
  if (isObj(ml) && Object.keys(ml).length === 0) return '`matchLabels` specified but empty';
  if (Array.isArray(me) && me.length === 0) return '`matchExpressions` specified but empty';
  return undefined;
}

function validateFiles(files: unknown): string | undefined {
  if (files === undefined || files === null) return undefined;
  if (!Array.isArray(files) || files.length === 0) return '`files` has to be unspecified or non-empty';
  for (const op of files) {
    if (!isObj(op) || str(op['from']) === '') return '`from` field has to be set';
    if (str(op['to']) === '') return '`to` field has to be set';
  }
  return undefined;
}

function longLines(text: string, max: number): string[] {
  return text.split('\n').filter((l) => l.length > max && l.trim().includes(' '));
}

/**
 * Every problem krew's validation would report for the manifest `doc` read from `fileName`
 * (an index file: `<plugin name>.yaml`). Empty when the manifest is valid.
 */
export function validateKrewManifest(fileName: string, doc: unknown): string[] {
  const errors: string[] = [];
  const ext = extname(fileName);
  if (ext !== '.yaml') errors.push(`expected manifest extension ".yaml" but found "${ext}"`);
  const name = basename(fileName, ext);
  if (!isObj(doc)) return [...errors, 'the manifest is not a YAML mapping'];
  if (doc['apiVersion'] !== API_VERSION)
    errors.push(`plugin manifest has apiVersion="${str(doc['apiVersion'])}", not supported`);
  if (doc['kind'] !== 'Plugin')
    errors.push(`plugin manifest has kind="${str(doc['kind'])}", but only "Plugin" is supported`);
  if (!isSafePluginName(name)) errors.push(`the plugin name "${name}" is not allowed, must match ^[\\w-]+$`);
  const meta = isObj(doc['metadata']) ? doc['metadata'] : {};
  if (meta['name'] !== name) errors.push(`plugin should be named "${name}", not "${str(meta['name'])}"`);
  const spec = isObj(doc['spec']) ? doc['spec'] : {};
  const short = str(spec['shortDescription']);
  if (short === '') errors.push('should have a short description');
  if (/[\r\n]/.test(short)) errors.push('should not have line breaks in short description');
  for (const [field, max] of [
    ['shortDescription', 70],
    ['description', 80],
    ['caveats', 80],
  ] as const) {
    for (const l of longLines(str(spec[field]), max))
      errors.push(`line length in \`${field}\` exceeds ${max} characters: "${l}"`);
  }
  const platforms = Array.isArray(spec['platforms']) ? spec['platforms'] : [];
  if (platforms.length === 0) errors.push('should have a platform specified');
  const version = str(spec['version']);
  if (version === '') errors.push('should have a version specified');
  else if (!version.startsWith('v')) errors.push(`version string "${version}" not starting with 'v'`);
  else if (!SEMVER.test(version)) errors.push(`could not parse "${version}" as a semantic version`);
  platforms.forEach((pl: unknown, i) => {
    const at = `spec.platforms[${i}]`;
    if (!isObj(pl)) {
      errors.push(`${at}: not a mapping`);
      return;
    }
    const sha = str(pl['sha256']);
    if (str(pl['uri']) === '') errors.push(`${at}: \`uri\` has to be set`);
    if (sha === '') errors.push(`${at}: \`sha256\` sum has to be set`);
    else if (!/^[a-f0-9]{64}$/.test(sha))
      errors.push(`${at}: \`sha256\` value ${sha} is not valid, must match pattern ^[a-f0-9]{64}$`);
    const bin = str(pl['bin']);
    if (bin === '') errors.push(`${at}: \`bin\` has to be set`);
    const files = validateFiles(pl['files']);
    if (files !== undefined) errors.push(`${at}: \`files\` is invalid: ${files}`);
    const sel = validateSelector(pl['selector']);
    if (sel !== undefined) errors.push(`${at}: invalid platform selector: ${sel}`);
    const matched = KREW_PLATFORMS.filter((p) => selectorMatches(pl['selector'], p));
    if (sel === undefined && matched.length === 0)
      errors.push(`${at}'s selector doesn't match any supported platforms`);
    // krew's developer guide: Windows executables need the .exe suffix to be run.
    if (matched.some((p) => p.os === 'windows') && bin !== '' && !bin.endsWith('.exe'))
      errors.push(`${at}: bin "${bin}" for Windows must end in .exe`);
    if (matched.some((p) => p.os !== 'windows') && bin.endsWith('.exe'))
      errors.push(`${at}: bin "${bin}" ends in .exe on a non-Windows platform`);
    // validate-krew-manifest installs each platform and requires a license file among the
    // installed files; with explicit `files`, that means one of them copies it.
    if (
      Array.isArray(pl['files']) &&
      !pl['files'].some((f) => isObj(f) && LICENSE_FILES.has(basename(str(f['from'])).toLowerCase()))
    ) {
      errors.push(`${at}: no LICENSE (or alike) file among \`files\``);
    }
    if (
      Array.isArray(pl['files']) &&
      bin !== '' &&
      !pl['files'].some((f) => isObj(f) && basename(str(f['from'])) === basename(bin))
    ) {
      errors.push(`${at}: \`files\` does not install the bin "${bin}"`);
    }
  });
  for (const p of KREW_PLATFORMS) {
    const idx = platforms.flatMap((pl: unknown, i) => (isObj(pl) && selectorMatches(pl['selector'], p) ? [i] : []));
    if (idx.length > 1)
      errors.push(
        `multiple spec.platforms (at indexes ${idx.join(' ')}) have overlapping selectors that select os=${p.os}/arch=${p.arch}`,
      );
  }
  return errors;
}
