// Fuzz: every netfilter parser on truncated, random, binary, enormous and hostile input must
// return a value and warnings — never throw, never hang. Inputs are derived from the real
// fixtures with a seeded PRNG (FUZZ_SEED=<n> replays a run; the seed is in every failure message).
//
// The wall-clock guard only catches hangs (a parser stuck in a loop on some input): each call
// must return within WALL_CLOCK_LIMIT_MS, generous on purpose. It is not a performance assertion;
// bench/ measures speed. A synchronous infinite loop cannot be interrupted in-process, so a real
// hang shows up as this test file never finishing, which the runner reports.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpsetSave } from '../../src/model/parse/ipset.ts';
import { parseIptablesSave } from '../../src/model/parse/iptables-save.ts';
import { parseIpvsadmSave } from '../../src/model/parse/ipvsadm.ts';
import { parseNftJson } from '../../src/model/parse/nft.ts';
import type { Parsed } from '../../src/model/types.ts';
import { capturedOutput, recordedIpvsadm } from '../fixtures/netfilter.ts';
import { fuzzSeed, prng, type Prng } from './prng.ts';

const WALL_CLOCK_LIMIT_MS = 5000;
const SEED = fuzzSeed(20261123);
const MAX_WARNINGS = 201; // Warnings's cap plus its "N more" line
const MAX_WARNING_CHARS = 1000;

interface Target {
  name: string;
  parse: (text: string) => Parsed<unknown>;
  fixtures: string[];
  /** Structural checks on a result, beyond "it returned". */
  check: (input: string, result: Parsed<unknown>) => void;
}

function checkWarnings(result: Parsed<unknown>, label: string): void {
  assert.ok(Array.isArray(result.warnings), `${label}: warnings is an array`);
  assert.ok(result.warnings.length <= MAX_WARNINGS, `${label}: ${result.warnings.length} warnings`);
  for (const w of result.warnings) {
    assert.equal(typeof w, 'string', label);
    assert.ok(w.length <= MAX_WARNING_CHARS, `${label}: warning of ${w.length} chars`);
  }
}

const targets: Target[] = [
  {
    name: 'iptables-save',
    parse: (t) => parseIptablesSave(t, 'nft'),
    fixtures: [
      'kube-proxy.iptables-nft-save.txt',
      'calico.iptables-nft-save.txt',
      'cilium.iptables-nft-save.txt',
      'quoting.iptables-nft-save.txt',
      'legacy-flannel-docker.iptables-legacy-save.txt',
    ].map(capturedOutput),
    check: (input, r) => {
      const rs = (r as Parsed<import('../../src/model/types.ts').IptRuleset>).value;
      assert.ok(rs.tables instanceof Map);
      for (const t of rs.tables.values()) {
        for (const c of t.chains.values()) {
          c.rules.forEach((rule, i) => {
            assert.equal(rule.position, i + 1);
            assert.ok(input.includes(rule.raw), 'raw is a line of the input');
            assert.ok(rule.line! >= 1);
            // Matches are read again from the line on first access: that path must hold too.
            assert.ok(Array.isArray(rule.matches));
            for (const m of rule.matches) assert.ok(Array.isArray(m.options));
          });
        }
      }
    },
  },
  {
    name: 'ipset',
    parse: parseIpsetSave,
    fixtures: ['calico.ipset-save.txt', 'kube-proxy-ipvs.ipset-save.txt'].map(capturedOutput),
    check: (input, r) => {
      const sets = (r as Parsed<import('../../src/model/types.ts').IpSet[]>).value;
      assert.ok(Array.isArray(sets));
      for (const s of sets) for (const e of s.entries ?? []) assert.ok(input.includes(e.raw));
    },
  },
  {
    name: 'ipvsadm',
    parse: parseIpvsadmSave,
    fixtures: ['kube-router-notes.ipvsadm-S.txt', 'kube-proxy-apiserver.ipvsadm-S.txt'].map(recordedIpvsadm),
    check: (_input, r) => {
      const services = (r as Parsed<import('../../src/model/types.ts').IpvsService[]>).value;
      assert.ok(Array.isArray(services));
      for (const s of services) assert.ok(Number.isInteger(s.port) && s.port >= 0 && s.port <= 65535);
    },
  },
  {
    name: 'nft',
    parse: parseNftJson,
    fixtures: ['kube-proxy-nftables.nft.json', 'mixed.nft.json', 'native-rule.nft.json'].map(capturedOutput),
    check: (_input, r) => {
      const rs = (r as Parsed<import('../../src/model/types.ts').NftRuleset>).value;
      assert.ok(Array.isArray(rs.tables));
      for (const t of rs.tables)
        for (const c of t.chains.values()) for (const rule of c.rules) assert.equal(typeof rule.text, 'string');
    },
  },
];

/** Runs one case under the wall-clock guard and the structural checks. */
function runCase(target: Target, input: string, label: string): void {
  const where = `${target.name} / ${label} (FUZZ_SEED=${SEED})`;
  const start = performance.now();
  let result: Parsed<unknown>;
  try {
    result = target.parse(input);
  } catch (e) {
    assert.fail(`${where}: threw ${e instanceof Error ? e.stack : String(e)}`);
  }
  const ms = performance.now() - start;
  assert.ok(ms < WALL_CLOCK_LIMIT_MS, `${where}: took ${Math.round(ms)} ms (hang guard)`);
  checkWarnings(result, where);
  target.check(input, result);
}

function randomText(rng: Prng, length: number, alphabet: string): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function randomBytesAsText(rng: Prng, length: number, encoding: 'utf8' | 'latin1'): string {
  const buf = Buffer.alloc(length);
  for (let i = 0; i < length; i++) buf[i] = rng.int(256);
  return buf.toString(encoding);
}

/** Words of the fixtures, shuffled back into lines: gets deeper into the grammar than noise. */
function tokenSoup(rng: Prng, fixture: string, lines: number): string {
  const vocab = fixture.split(/\s+/).filter((w) => w.length > 0);
  vocab.push(
    '!',
    '"',
    '\\',
    '-A',
    '-m',
    '-j',
    '-g',
    '*nat',
    ':X - [0:0]',
    'COMMIT',
    '[1:2]',
    '--',
    '-',
    '""',
    '{',
    '}',
    '[',
    ']',
    ':',
    ',',
  );
  // Names that an object-literal lookup would find on Object.prototype.
  vocab.push('constructor', '__proto__', 'toString', 'hasOwnProperty', '--constructor', '-constructor', 'valueOf');
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 1 + rng.int(16);
    const words: string[] = [];
    for (let k = 0; k < n; k++) words.push(rng.pick(vocab));
    out.push(words.join(rng.next() < 0.9 ? ' ' : '\t'));
  }
  return out.join('\n');
}

const HOSTILE_ALPHABET = ' \t\n\r"\\\'!-[]:*#,/{}@.0123456789abcxyzACMPTX\u0000\u00ff\u2603\ud800';

describe(`netfilter parsers under fuzzing (FUZZ_SEED=${SEED})`, () => {
  for (const target of targets) {
    describe(target.name, () => {
      it('every prefix of every fixture, at a stride', () => {
        for (const [f, fixture] of target.fixtures.entries()) {
          // ~300 cut points per fixture, plus every cut in the first and last 64 characters.
          const stride = Math.max(1, Math.floor(fixture.length / 300));
          const cuts = new Set<number>();
          for (let n = 0; n <= fixture.length; n += stride) cuts.add(n);
          for (let n = 0; n <= Math.min(64, fixture.length); n++) {
            cuts.add(n);
            cuts.add(fixture.length - n);
          }
          for (const n of cuts) runCase(target, fixture.slice(0, n), `fixture ${f} prefix ${n}`);
        }
      });

      it('random text, binary junk and token soup', () => {
        const rng = prng(SEED ^ target.name.length);
        for (let i = 0; i < 150; i++)
          runCase(target, randomText(rng, rng.int(4096), HOSTILE_ALPHABET), `random text #${i}`);
        for (let i = 0; i < 50; i++)
          runCase(target, randomBytesAsText(rng, rng.int(8192), i % 2 === 0 ? 'utf8' : 'latin1'), `binary #${i}`);
        for (let i = 0; i < 100; i++)
          runCase(target, tokenSoup(rng, rng.pick(target.fixtures), 1 + rng.int(60)), `token soup #${i}`);
      });

      it('fixtures with random damage: dropped, duplicated and cut lines, stray quotes', () => {
        const rng = prng(SEED + 7);
        for (let i = 0; i < 120; i++) {
          const lines = rng.pick(target.fixtures).split('\n');
          const out: string[] = [];
          for (const line of lines) {
            const roll = rng.next();
            if (roll < 0.05) continue;
            if (roll < 0.1) out.push(line, line);
            else if (roll < 0.15) out.push(line.slice(0, rng.int(line.length + 1)));
            else if (roll < 0.2) {
              const at = rng.int(line.length + 1);
              out.push(`${line.slice(0, at)}"${line.slice(at)}`);
            } else if (roll < 0.23) out.push(line.replaceAll('"', ''));
            else out.push(line);
          }
          runCase(target, out.join(rng.next() < 0.5 ? '\n' : '\r\n'), `damaged #${i}`);
        }
      });

      it('a 10 MB single line and other enormous input', () => {
        const big = 10 * 1024 * 1024;
        const shapes = [
          'a'.repeat(big),
          `-A KUBE-SERVICES -m comment --comment "${'x'.repeat(big)}" -j ACCEPT`,
          `*nat\n:A - [0:0]\n-A A ${'-m comment --comment y '.repeat(big / 24)}\nCOMMIT`,
          `create s hash:ip\nadd s ${'1'.repeat(big)}`,
          `-A -t ${'9'.repeat(big)}:80 -s rr`,
          `{"nftables": [${'{"metainfo": {}},'.repeat(big / 20)}{"metainfo": {}}]}`,
          '"'.repeat(big),
          '\n'.repeat(big),
          '!'.repeat(big),
          `*${'t'.repeat(big)}\n-A X -j Y\n-A X -x`,
          `*nat\n:${'C'.repeat(big)} - [0:0]\n:${'C'.repeat(big)} - [0:0]\n-A ${'C'.repeat(big)} -j ${'T'.repeat(big)}\n-A ${'D'.repeat(big)} -m x\n# Table \`${'n'.repeat(big)}' is incompatible`,
        ];
        for (const [i, s] of shapes.entries()) runCase(target, s, `enormous #${i}`);
      });

      it('unbalanced quotes everywhere', () => {
        for (const [f, fixture] of target.fixtures.entries()) {
          runCase(target, fixture.replace(/"([^"\n]*)"/g, '"$1'), `fixture ${f} closing quotes removed`);
          runCase(target, fixture.replace(/\n/g, '"\n'), `fixture ${f} quote at every line end`);
          runCase(target, fixture.replace(/ /g, ' \\'), `fixture ${f} backslash before every word`);
        }
      });
    });
  }

  describe('nft: wrong JSON types', () => {
    const nft = targets.find((t) => t.name === 'nft');
    assert.ok(nft);
    const VALUES: readonly unknown[] = [
      null,
      0,
      -1,
      1e308,
      'x',
      '',
      '@set',
      true,
      [],
      {},
      [[]],
      { a: 1 },
      [null, null],
      { payload: 'x' },
      { match: 7 },
    ];

    /** Replaces a random node of the document with a value of another type. */
    function mutate(rng: Prng, doc: unknown, depth = 0): unknown {
      if (depth > 0 && rng.next() < 0.08) return rng.pick(VALUES);
      if (Array.isArray(doc)) return doc.map((x) => mutate(rng, x, depth + 1));
      if (typeof doc === 'object' && doc !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(doc)) {
          if (rng.next() < 0.02) continue;
          out[rng.next() < 0.02 ? `${k}_` : k] = mutate(rng, v, depth + 1);
        }
        return out;
      }
      return doc;
    }

    it('random type swaps anywhere in real rulesets', () => {
      const rng = prng(SEED + 99);
      for (let i = 0; i < 300; i++) {
        const doc: unknown = JSON.parse(rng.pick(nft.fixtures));
        runCase(nft, JSON.stringify(mutate(rng, doc)), `mutated #${i}`);
      }
    });

    it('deep nesting and odd top-level values', () => {
      const deep = (n: number, open: string, close: string): string => open.repeat(n) + close.repeat(n);
      const rule = (expr: string): string =>
        `{"nftables": [{"table": {"family": "ip", "name": "t"}}, {"chain": {"family": "ip", "table": "t", "name": "c"}}, {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": ${expr}}}]}`;
      const cases = [
        deep(100000, '[', ']'),
        deep(100000, '{"a":', '}').replace(/\}$/, '}'),
        rule(`[${deep(5000, '{"match": {"op": "==", "left": ', '"x", "right": 1}}')}]`),
        rule(`[{"vmap": {"key": ${deep(2000, '{"concat": [', ']}')}, "data": "@m"}}]`),
        rule(`[${'{"counter": null},'.repeat(100000)}{"accept": null}]`),
        '{"nftables": null}',
        '{"nftables": [[], [[]], "table", {"table": []}, {"table": null}, {"rule": {"family": "ip", "table": "t", "chain": "c", "expr": [1, "x", null, [], {}]}}]}',
      ];
      for (const [i, c] of cases.entries()) runCase(nft, c, `nesting #${i}`);
    });
  });
});
