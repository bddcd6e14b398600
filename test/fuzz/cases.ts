// What the parser fuzz runs, in a worker (test/fuzz/worker.mjs) so that the test can stop a hang:
// the parsers, their real fixtures, the hostile inputs made from them with a seeded PRNG, and the
// checks every result must pass — no throw, typed output of the declared types, short warnings,
// and for cut-short input a result that is a prefix of the whole one plus a warning saying so.
import { parseBridgeFdb } from '../../src/model/parse/bridge-fdb.ts';
import { parseCniConfig } from '../../src/model/parse/cni.ts';
import { parseConntrackStats } from '../../src/model/parse/conntrack-stats.ts';
import { parseFlannelSubnetEnv } from '../../src/model/parse/flannel-env.ts';
import { parseIpAddr } from '../../src/model/parse/ip-addr.ts';
import { parseIpNeigh } from '../../src/model/parse/ip-neigh.ts';
import { parseIpRoute } from '../../src/model/parse/ip-route.ts';
import { parseIpRule } from '../../src/model/parse/ip-rule.ts';
import { parseSysctl } from '../../src/model/parse/sysctl.ts';
import type { Parsed } from '../../src/model/types.ts';
import { fixture, fixtureFiles } from '../helpers/fixtures.ts';
import { mulberry32 } from './prng.ts';
import { type Check, arr, bool, jsonText, map, num, obj, oneOf, opt, str } from './shape.ts';

// ---------------------------------------------------------------- PRNG

export type Rng = () => number;
const rng = mulberry32;

const int = (r: Rng, n: number): number => Math.floor(r() * n);
function pick<T>(r: Rng, xs: readonly T[]): T {
  return xs[int(r, xs.length)] as T;
}

// ---------------------------------------------------------------- shapes of the typed output

const family = oneOf('inet', 'inet6');
const link = obj({
  index: num,
  name: str,
  kind: oneOf('loopback', 'ether', 'veth', 'bridge', 'vxlan', 'ipip', 'dummy', 'other'),
  infoKind: opt(str),
  master: opt(str),
  mtu: num,
  up: bool,
  operState: str,
  mac: opt(str),
  peerIndex: opt(num),
  linkNetnsId: opt(num),
  slaveKind: opt(str),
  raw: jsonText,
  vxlan: opt(
    obj({
      vni: num,
      local: opt(str),
      remote: opt(str),
      group: opt(str),
      link: opt(str),
      port: num,
      learning: bool,
      external: opt(bool),
    }),
  ),
  ipip: opt(obj({ local: opt(str), remote: opt(str), link: opt(str) })),
});
const address = obj({
  dev: str,
  family,
  local: str,
  prefixLen: num,
  peer: opt(str),
  broadcast: opt(str),
  scope: str,
  secondary: bool,
  label: opt(str),
  raw: jsonText,
});
const route = obj({
  family,
  table: num,
  type: oneOf(
    'unicast',
    'local',
    'broadcast',
    'multicast',
    'anycast',
    'blackhole',
    'unreachable',
    'prohibit',
    'throw',
    'nat',
  ),
  dst: str,
  tos: num,
  gateway: opt(str),
  dev: opt(str),
  onlink: bool,
  prefsrc: opt(str),
  metric: num,
  protocol: str,
  scope: str,
  mtu: opt(num),
  tableName: opt(str),
  flags: opt(arr(str)),
  unmodeled: opt(arr(str)),
  nexthops: arr(obj({ gateway: opt(str), dev: opt(str), weight: num, onlink: bool })),
  raw: jsonText,
});
const rule = obj({
  family,
  priority: num,
  invert: bool,
  src: opt(str),
  dst: opt(str),
  iif: opt(str),
  oif: opt(str),
  fwmark: opt(num),
  fwmask: opt(num),
  tos: opt(num),
  action: oneOf('table', 'goto', 'nop', 'blackhole', 'unreachable', 'prohibit'),
  table: opt(num),
  gotoPriority: opt(num),
  suppressPrefixLength: opt(num),
  tableName: opt(str),
  unmodeled: opt(arr(str)),
  raw: jsonText,
});
const neighbor = obj({ dst: str, dev: str, lladdr: opt(str), state: arr(str), raw: jsonText });
const fdb = obj({
  mac: str,
  dev: str,
  dst: opt(str),
  vni: opt(num),
  master: opt(str),
  self: bool,
  state: str,
  raw: jsonText,
});
const cni = obj({
  path: str,
  name: opt(str),
  cniVersion: opt(str),
  raw: str,
  plugins: arr(obj({ type: str, ipamSubnets: arr(str), ipamType: opt(str), config: obj({}) })),
});
const flannel = obj({
  network: opt(str),
  subnet: opt(str),
  mtu: opt(num),
  ipMasq: opt(bool),
  raw: str,
  vars: map(str),
});

// ---------------------------------------------------------------- the parsers

export interface ParserCase {
  name: string;
  parse: (text: string) => Parsed<unknown>;
  shape: Check;
  fixtures: string[];
  /** The JSON array's elements as read, for the prefix property; absent for line/file parsers. */
  items?: (value: unknown) => { raw: string }[];
  /** Whether the input is JSON (so JSON mutations apply) or lines. */
  json: boolean;
}

const asList = (v: unknown) => v as { raw: string }[];

export const PARSERS: readonly ParserCase[] = [
  {
    name: 'ip-addr',
    parse: parseIpAddr,
    shape: obj({ links: arr(link), addresses: arr(address) }),
    fixtures: ['ip/ip-addr.json', 'ip/ip-addr-pod.json', ...fixtureFiles('ip/public')],
    items: (v) => (v as { links: { raw: string }[] }).links,
    json: true,
  },
  {
    name: 'ip-route',
    parse: parseIpRoute,
    shape: arr(route),
    fixtures: ['ip/ip-route.json'],
    items: asList,
    json: true,
  },
  {
    name: 'ip-rule',
    parse: (t) => parseIpRule(t),
    shape: arr(rule),
    fixtures: ['ip/ip-rule.json', 'ip/ip-rule6.json'],
    items: asList,
    json: true,
  },
  {
    name: 'ip-neigh',
    parse: parseIpNeigh,
    shape: arr(neighbor),
    fixtures: ['ip/ip-neigh.json'],
    items: asList,
    json: true,
  },
  {
    name: 'bridge-fdb',
    parse: parseBridgeFdb,
    shape: arr(fdb),
    fixtures: ['ip/bridge-fdb.json'],
    items: asList,
    json: true,
  },
  { name: 'sysctl', parse: parseSysctl, shape: map(str), fixtures: ['ip/sysctl.txt'], json: false },
  {
    name: 'cni',
    parse: (t) => parseCniConfig('/etc/cni/net.d/10-fuzz.conflist', t),
    shape: cni,
    fixtures: fixtureFiles('cni'),
    json: true,
  },
  { name: 'flannel-env', parse: parseFlannelSubnetEnv, shape: flannel, fixtures: ['flannel/subnet.env'], json: false },
  {
    name: 'conntrack-stats',
    parse: parseConntrackStats,
    shape: obj({ cpus: arr(obj({ cpu: num, counters: map(num), raw: str })), totals: map(num) }),
    fixtures: ['conntrack/conntrack-S.txt', 'conntrack/proc-net-stat-nf_conntrack.txt'],
    json: false,
  },
];

export function parserNamed(name: string): ParserCase {
  const p = PARSERS.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no parser ${name}`);
  return p;
}

// ---------------------------------------------------------------- running one input

const MAX_WARNINGS = 51; // 50 kept + one "… and N more"
const MAX_WARNING_CHARS = 600;

/** Parses `text` and returns what is wrong with the result (empty when all is well). */
export function check(p: ParserCase, text: string, label: string): { problems: string[]; result?: Parsed<unknown> } {
  let result: Parsed<unknown>;
  try {
    result = p.parse(text);
  } catch (e) {
    return { problems: [`${label}: threw ${(e as Error).stack ?? String(e)}`] };
  }
  const problems: string[] = [];
  p.shape(result.value, `${label}: value`, problems);
  if (!Array.isArray(result.warnings)) problems.push(`${label}: warnings is not an array`);
  else {
    if (result.warnings.length > MAX_WARNINGS) problems.push(`${label}: ${result.warnings.length} warnings`);
    for (const w of result.warnings) {
      if (typeof w !== 'string' || w.length > MAX_WARNING_CHARS)
        problems.push(`${label}: bad warning ${String(w).slice(0, 100)}`);
    }
  }
  return { problems: problems.slice(0, 5), result };
}

// ---------------------------------------------------------------- inputs

/** Cut points: every length for small texts, else evenly spaced plus random ones. */
function cutPoints(r: Rng, len: number): number[] {
  if (len <= 1500) return Array.from({ length: len }, (_, i) => i);
  const pts = Array.from({ length: 400 }, (_, i) => Math.floor((i * len) / 400));
  for (let i = 0; i < 100; i++) pts.push(int(r, len));
  return pts;
}

/** Truncated prefixes of every fixture: a prefix of the whole result, and a warning when cut. */
export function runTruncations(p: ParserCase, seed: number): { inputs: number; problems: string[] } {
  const r = rng(seed);
  const problems: string[] = [];
  let inputs = 0;
  for (const f of p.fixtures) {
    const whole = fixture(f);
    const full = p.parse(whole);
    for (const cut of cutPoints(r, whole.length)) {
      inputs++;
      const text = whole.slice(0, cut);
      const label = `${p.name} ${f} cut at ${cut}`;
      const c = check(p, text, label);
      problems.push(...c.problems);
      if (c.result === undefined) continue;
      const silent = c.result.warnings.length === 0;
      const cutInside = text.trim() !== '' && text.trimEnd() !== whole.trimEnd();
      if (p.items !== undefined) {
        const got = p.items(c.result.value).map((x) => x.raw);
        const want = p
          .items(full.value)
          .map((x) => x.raw)
          .slice(0, got.length);
        if (got.join('\n') !== want.join('\n')) problems.push(`${label}: items are not a prefix of the whole result`);
        if (cutInside && silent) problems.push(`${label}: cut short without a warning`);
      } else if (p.json) {
        if (cutInside && silent) problems.push(`${label}: cut short without a warning`);
      } else if (cutInside && !text.endsWith('\n') && silent) {
        problems.push(`${label}: cut mid-line without a warning`);
      }
    }
  }
  return { inputs, problems: problems.slice(0, 10) };
}

const VOCAB = [
  'ifindex',
  'ifname',
  'flags',
  'mtu',
  'operstate',
  'link_type',
  'address',
  'master',
  'linkinfo',
  'info_kind',
  'info_data',
  'info_slave_kind',
  'addr_info',
  'family',
  'local',
  'prefixlen',
  'scope',
  'secondary',
  'label',
  'broadcast',
  'link_index',
  'link_netnsid',
  'link',
  'id',
  'port',
  'learning',
  'remote',
  'group',
  'external',
  'type',
  'dst',
  'gateway',
  'dev',
  'table',
  'protocol',
  'prefsrc',
  'metric',
  'nexthops',
  'weight',
  'metrics',
  'via',
  'host',
  'encap',
  'from',
  'tos',
  'pref',
  'nhid',
  'priority',
  'not',
  'src',
  'srclen',
  'dstlen',
  'iif',
  'oif',
  'fwmark',
  'fwmask',
  'goto',
  'nop',
  'action',
  'suppress_prefixlen',
  'lladdr',
  'state',
  'mac',
  'vni',
  'self',
  'name',
  'cniVersion',
  'plugins',
  'ipam',
  'subnet',
  'ranges',
  'ipv4_pools',
  'delegate',
];
const STRINGS = [
  '',
  'default',
  'all',
  'any',
  'main',
  'local',
  'calico',
  'UP',
  'veth',
  'vxlan',
  'ipip',
  'bridge',
  'eth0',
  '10.0.0.0/8',
  '10.0.0.1',
  '300.1.1.1',
  '::1',
  'fe80::/64',
  '0x10',
  '0xffffffffffffffffff',
  '-1',
  '1e999',
  'inet',
  'inet6',
  'onlink',
  'PERMANENT',
  '00:00:00:00:00:00',
  'zz:zz',
  '\u0000',
  '"',
  '\\',
  '🙂'.repeat(3),
];

function randomJson(r: Rng, depth: number): unknown {
  const k = int(r, depth > 3 ? 6 : 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick(r, [0, 1, -1, 1.5, 2 ** 32, 2 ** 53 + 2, 1e300, -0]);
    case 3:
    case 4:
      return pick(r, STRINGS);
    case 5:
      return pick(r, VOCAB);
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 6); i > 0; i--) o[pick(r, VOCAB)] = randomJson(r, depth + 1);
      return o;
    }
    default:
      return Array.from({ length: int(r, 5) }, () => randomJson(r, depth + 1));
  }
}

/** Random bytes, token soup, random JSON built from ip's own keys, and the other parsers' fixtures. */
export function randomInputs(seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    out.push(String.fromCharCode(...Array.from({ length: int(r, 2048) }, () => int(r, 256))));
  }
  const soup = '[]{}",:0123456789abcdefx-./ =\n\t\\';
  for (let i = 0; i < 100; i++) out.push(Array.from({ length: int(r, 512) }, () => soup[int(r, soup.length)]).join(''));
  for (let i = 0; i < 150; i++) {
    const v = r() < 0.7 ? Array.from({ length: int(r, 6) }, () => randomJson(r, 0)) : randomJson(r, 0);
    out.push(JSON.stringify(v));
  }
  for (const p of PARSERS) for (const f of p.fixtures) out.push(fixture(f));
  return out;
}

/** Replaces one value somewhere inside `v` with a value of another type. */
function mutate(r: Rng, v: unknown): unknown {
  const wrong = (): unknown => pick(r, [42, -1, 1e300, 'str', '', null, true, {}, [], [1, 'a'], { a: 1 }, '0xZZ']);
  if (Array.isArray(v)) {
    if (v.length === 0 || r() < 0.1) return wrong();
    const i = int(r, v.length);
    return v.map((x, j) => (j === i ? mutate(r, x) : x));
  }
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length === 0 || r() < 0.1) return wrong();
    const k = pick(r, keys);
    return { ...v, [k]: r() < 0.5 ? wrong() : mutate(r, (v as Record<string, unknown>)[k]) };
  }
  return wrong();
}

/** Line parsers: lines swapped, duplicated, split, with NULs and stray '='. */
function mutateLines(r: Rng, text: string): string {
  const lines = text.split('\n');
  for (let n = 1 + int(r, 4); n > 0; n--) {
    const i = int(r, lines.length);
    const l = lines[i] ?? '';
    lines[i] = pick(r, [
      l.replace('=', ''),
      `${l}=${l}`,
      `=${l}`,
      l.replace(/[a-z]/, '\u0000'),
      '',
      l.toUpperCase(),
      l.slice(0, int(r, l.length + 1)),
      `  ${l}  `,
      `export ${l}`,
      `"${l}"`,
      l.repeat(3),
    ]);
  }
  return lines.join('\n');
}

/** Fixtures with values of the wrong JSON type (numbers for strings, objects for arrays, ...). */
export function wrongTypeInputs(p: ParserCase, seed: number, count = 300): string[] {
  const r = rng(seed);
  const docs = p.fixtures.map((f) => fixture(f));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const text = pick(r, docs);
    if (!p.json) {
      out.push(mutateLines(r, text));
      continue;
    }
    let v: unknown = JSON.parse(text);
    for (let n = 1 + int(r, 3); n > 0; n--) v = mutate(r, v);
    out.push(JSON.stringify(v));
  }
  return out;
}

const MB10 = 10 * 1024 * 1024;

/** 10 MB single lines of different shapes, made on demand (one per request). */
export const HUGE: Readonly<Record<string, () => string>> = {
  'one char': () => 'x'.repeat(MB10),
  'open brackets': () => '['.repeat(MB10),
  'balanced nesting': () => '['.repeat(MB10 / 2) + ']'.repeat(MB10 / 2),
  'unterminated string': () => `[{"ifname":"${'a'.repeat(MB10)}`,
  'one huge string value': () => `[{"ifname":"${'a'.repeat(MB10)}","ifindex":1,"dst":"default"}]`,
  'a route table': () =>
    `[${'{"type":"unicast","dst":"10.0.0.0/8","dev":"eth0","table":"main"},'.repeat(MB10 / 64)}{}]`,
  'tiny objects': () => `[${'{"a":1},'.repeat(MB10 / 8)}{}]`,
  'sysctl-like line': () => `net.ipv4.conf.all.rp_filter = ${'1'.repeat(MB10)}`,
  'equals signs': () => '='.repeat(MB10),
  spaces: () => ' '.repeat(MB10),
};

// ---------------------------------------------------------------- requests from the test

export type Request =
  | { parser: string; kind: 'truncate'; seed: number }
  | { parser: string; kind: 'random'; seed: number }
  | { parser: string; kind: 'wrong-types'; seed: number }
  | { parser: string; kind: 'huge'; huge: string };

export function run(req: Request): { inputs: number; problems: string[] } {
  const p = parserNamed(req.parser);
  if (req.kind === 'truncate') return runTruncations(p, req.seed);
  const inputs =
    req.kind === 'random'
      ? randomInputs(req.seed)
      : req.kind === 'wrong-types'
        ? wrongTypeInputs(p, req.seed)
        : [(HUGE[req.huge] ?? (() => ''))()];
  const problems: string[] = [];
  inputs.forEach((text, i) => problems.push(...check(p, text, `${p.name} ${req.kind} #${i}`).problems));
  return { inputs: inputs.length, problems: problems.slice(0, 10) };
}
