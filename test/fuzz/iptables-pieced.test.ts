// A v2 snapshot's iptables text is parsed from its shared pieces (parseIptablesPieced), never put
// together: the result must be exactly what parseIptablesSave gives on the whole text, rules,
// lines, counters, raw lines and warnings alike, for real captures and for mutations of them
// (lines dropped, repeated, moved, counters changed or made unreadable, "\r\n", garbage), with
// several hosts sharing one store (a piece read for one host serves the next with other counters).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIptablesPieced, parseIptablesSave } from '../../src/model/parse/iptables-save.ts';
import { parseIptablesShared } from '../../src/model/parse/iptables-shared.ts';
import { ruleSaid } from '../../src/model/rule-said.ts';
import type { IptRuleset } from '../../src/model/types.ts';
import { PiecedSection, PieceStore } from '../../src/snapshot/pieced.ts';
import { blobId, cut } from '../../src/snapshot/v2/pieces.ts';
import { capturedOutput } from '../fixtures/netfilter.ts';
import { fuzzSeed, prng, type Prng } from './prng.ts';

const SEED = fuzzSeed(20261204);
const FIXTURES = [
  'kube-proxy.iptables-nft-save.txt',
  'calico.iptables-nft-save.txt',
  'cilium.iptables-nft-save.txt',
  'quoting.iptables-nft-save.txt',
  'legacy-flannel-docker.iptables-legacy-save.txt',
];

const GARBAGE = [
  '-A NO-SUCH-CHAIN -j ACCEPT',
  '[1:2] -A FORWARD -m comment --comment "unbalanced -j DROP',
  '[99999999999999999999999:1] -A FORWARD -j ACCEPT',
  ':DUP - [0:0]',
  '*filter',
  'COMMIT',
  "# Table `nat' contains incompatible base-chains",
  '[3:4] -A INPUT -m comment --comment tail [5:6]',
  'junk line',
  '   ',
  ':X ACCEPT [7:8]',
  ':Y [1:2]',
  '  :Z - [3:4]',
];

function mutate(text: string, r: Prng): string {
  const lines = text.split('\n');
  for (let k = r.int(6); k > 0; k--) {
    const i = r.int(lines.length);
    switch (r.int(5)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(r.int(lines.length), 0, lines[i]!);
        break;
      case 2:
        lines.splice(i, 0, r.pick(GARBAGE));
        break;
      case 3:
        lines[i] = lines[i]!.replace(/^\[\d+:\d+\]/, `[${r.int(1000)}:${r.int(100000)}]`);
        // A chain header's counters (a built-in chain's policy counters) change from host to host too.
        lines[i] = lines[i]!.replace(/^(:\S+ \S+) \[\d+:\d+\]$/, `$1 [${r.int(1000)}:${r.int(100000)}]`);
        break;
      default:
        lines[i] = `${lines[i]}\r`;
    }
  }
  return lines.join('\n');
}

/**
 * A ruleset as its host printed it: each rule's line and counters as the host printed them
 * (ruleSaid), chains by name (a host's own chains come after the shared ones), no line numbers
 * (a rule shared between hosts has none).
 */
function printed(rs: IptRuleset): unknown {
  return [...rs.tables].map(([name, t]) => ({
    name,
    chains: [...t.chains.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((c) => ({
        name: c.name,
        policy: c.policy,
        raw: c.raw,
        rules: c.rules.map((r) => ({
          table: r.table,
          chain: r.chain,
          position: r.position,
          matches: r.matches,
          target: r.target,
          goto: r.goto,
          ...ruleSaid(rs, r),
        })),
      })),
  }));
}

/** Hosts the shared parse read as views over the first (not line by line). */
let viewedHosts = 0;

/** Both parses of `texts` (hosts of one snapshot, one store), compared host by host. */
function same(texts: string[], label: string): void {
  const store = new PieceStore();
  // The rules shared between hosts: the first host is the base, the others views over it.
  const sharedStore = new PieceStore();
  for (const [h, text] of texts.entries()) {
    const want = parseIptablesSave(text, 'nft');
    const p = cut(text);
    if (p === undefined) continue; // kept whole by the writer: parsed as text
    const section = PiecedSection.of(store, p.pieces.map(blobId), p.pieces, p.counters);
    assert.equal(section.text(), text, `${label} host ${h}: the pieces put back`);
    const got = parseIptablesPieced(section, 'nft');
    assert.deepEqual(got.warnings, want.warnings, `${label} host ${h}: warnings`);
    assert.equal(JSON.stringify(got.value, replacer), JSON.stringify(want.value, replacer), `${label} host ${h}`);
    const sharedSection = PiecedSection.of(sharedStore, p.pieces.map(blobId), p.pieces, p.counters);
    const viewed = parseIptablesShared(sharedSection, 'nft');
    if (viewed.value.said !== undefined) viewedHosts++;
    assert.deepEqual(viewed.warnings, want.warnings, `${label} host ${h}: warnings, shared`);
    assert.deepEqual(printed(viewed.value), printed(want.value), `${label} host ${h}, shared`);
  }
}

const replacer = (_k: string, v: unknown): unknown =>
  v instanceof Map ? Object.fromEntries(v as Map<string, unknown>) : v;

test('parsed from shared pieces = parsed from the whole text, real captures', () => {
  for (const name of FIXTURES) {
    const text = capturedOutput(name);
    // Two hosts: the same rules with other counters.
    const other = text
      .replace(/^\[(\d+):(\d+)\]/gm, (_m, p: string) => `[${Number(p) + 1}:7]`)
      .replace(/^(:\S+ \S+) \[(\d+):(\d+)\]$/gm, (_m, h: string, p: string) => `${h} [${Number(p) + 3}:9]`);
    same([text, other, text], name);
  }
});

test(`parsed from shared pieces = parsed from the whole text, mutated captures (seed ${SEED})`, () => {
  const r = prng(SEED);
  for (let round = 0; round < 40; round++) {
    const base = capturedOutput(r.pick(FIXTURES));
    same([mutate(base, r), mutate(base, r), mutate(base, r)], `seed ${SEED} round ${round}`);
  }
});

test(`a clean first host shares its chains with mutated ones (seed ${SEED})`, () => {
  const r = prng(SEED + 1);
  for (let round = 0; round < 40; round++) {
    const base = capturedOutput(r.pick(FIXTURES));
    same([base, mutate(base, r), mutate(base, r), base], `seed ${SEED + 1} round ${round}`);
  }
  // Most mutations warn (the host is then read line by line); the rest, and the clean hosts, are views.
  assert.ok(viewedHosts >= 80, `only ${viewedHosts} hosts were read as views`);
});
