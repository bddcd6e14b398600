// Parser for `iptables-save [-c]` output (both the nf_tables and the legacy backend print the same
// format): the line grammar of iptables/iptables-save.c, xtables-save.c — "*table",
// ":CHAIN POLICY [packets:bytes]", rules, "COMMIT", "# ..." comments; `-c` prefixes every rule
// with "[packets:bytes] ". A rule line is split into words by iptables-save/tokenizer.ts (a port of
// iptables-restore's own reader), turned into matches and a target by iptables-save/rule-words.ts,
// and kept as a rule whose matches are read on demand (iptables-save/saved-rule.ts).
import type { IptablesBackend, IptChain, IptRuleset, IptTable, Parsed } from '../types.ts';
import { forEachLine } from './lines.ts';
import { buildRule, LineContext, parseCount } from './iptables-save/rule-words.ts';
import { MatchReader, SavedRule } from './iptables-save/saved-rule.ts';
import { MAX_WORDS_PER_LINE, SPACE, TAB, TextScanner, tokenize, WordCache, Words } from './iptables-save/tokenizer.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

/** The counters of every rule that saw no packet (most of them), shared. */
const ZERO_COUNTERS: { packets: number; bytes: number } = Object.freeze({ packets: 0, bytes: 0 });

/** "[123:4567]" → counters; undefined when malformed. */
function parseBracketCounters(s: string): { packets: number; bytes: number } | undefined {
  if (s === '[0:0]') return ZERO_COUNTERS;
  if (s.length < 5 || s[0] !== '[' || s[s.length - 1] !== ']') return undefined;
  const colon = s.indexOf(':');
  if (colon === -1) return undefined;
  const packets = parseCount(s.slice(1, colon));
  const bytes = parseCount(s.slice(colon + 1, s.length - 1));
  return packets === undefined || bytes === undefined ? undefined : { packets, bytes };
}

const LEGACY_WARNING = 'iptables-legacy tables present';

/**
 * Parses `iptables-save -c` (or without -c) output of one backend. Never throws: lines it cannot
 * read become warnings, and everything readable is returned.
 */
export function parseIptablesSave(text: string, backend: IptablesBackend): Parsed<IptRuleset> {
  const warnings = new Warnings();
  const ruleset: IptRuleset = { backend, tables: new Map() };
  const words = new Words();
  const scanner = new TextScanner(text);
  const wordCache = new WordCache();
  const matchReader = new MatchReader(text, wordCache);
  const lineContext = new LineContext(warnings);
  let lastChain: IptChain | undefined;
  let lastChainTable: IptTable | undefined;

  let table: IptTable | null = null;
  let tableLine = 0;

  const closeUnterminated = (why: string): void => {
    if (table !== null) warnings.atLine(tableLine, `table ${clip(table.name)} has no COMMIT (${why}); kept as read`);
  };

  forEachLine(text, (line, lineNo, lineStart, lineEnd) => {
    let s = 0;
    while (s < line.length && (line.charCodeAt(s) === SPACE || line.charCodeAt(s) === TAB)) s++;
    if (s === line.length) return;
    const first = line[s];

    if (first === '#') {
      if (line.includes(LEGACY_WARNING)) {
        warnings.atLine(
          lineNo,
          'iptables-nft-save reports iptables-legacy tables too: rules are split between both backends',
        );
      } else if (line.includes('incompatible')) {
        // xtables-save.c: "# Table `%s' contains incompatible base-chains, use 'nft' tool to list
        // them." (older: "... is incompatible, use 'nft' tool.") — the table holds chains or
        // rules iptables-nft cannot show; only `nft -j list ruleset` has them.
        warnings.atLine(lineNo, `${clip(line.slice(s + 1).trim(), 200)} — its rules are not in this dump`);
      }
      return;
    }

    if (first === '*') {
      const name = line.slice(s + 1).trim();
      closeUnterminated(`next table starts at line ${lineNo}`);
      if (name === '' || /\s/.test(name)) {
        warnings.atLine(lineNo, `bad table line ${excerpt(line)}`);
        table = null;
        return;
      }
      if (ruleset.tables.has(name)) {
        // iptables-restore replaces a table each time it reads one (it flushes it first).
        warnings.atLine(
          lineNo,
          `table ${clip(name)} appears twice; the later one replaces the earlier, as iptables-restore would`,
        );
      }
      table = { name, chains: new Map() };
      ruleset.tables.set(name, table);
      tableLine = lineNo;
      return;
    }

    if (first === ':') {
      if (table === null) {
        warnings.atLine(lineNo, `chain header outside a table: ${excerpt(line)}`);
        return;
      }
      const header = parseChainHeader(line, s);
      if (header === undefined) {
        warnings.atLine(lineNo, `bad chain header ${excerpt(line)}`);
        return;
      }
      const existing = table.chains.get(header.name);
      if (existing !== undefined) {
        warnings.atLine(
          lineNo,
          `chain ${clip(header.name)} declared twice in table ${clip(table.name)}; the first header is kept`,
        );
        if (existing.raw === '') {
          existing.raw = line;
          existing.policy = header.policy;
        }
        return;
      }
      table.chains.set(header.name, { name: header.name, policy: header.policy, rules: [], raw: line });
      return;
    }

    if (first === 'C' && line.slice(s).trimEnd() === 'COMMIT') {
      if (table === null) warnings.atLine(lineNo, 'COMMIT outside a table');
      table = null;
      return;
    }

    if (first === '[' || first === '-') {
      let counters: { packets: number; bytes: number } | undefined;
      let from = s;
      if (first === '[') {
        let close = line.indexOf(']', s);
        if (close === -1) close = line.length;
        counters = parseBracketCounters(line.slice(s, close + 1));
        if (counters === undefined) {
          warnings.atLine(lineNo, `bad counters in ${excerpt(line)}`);
          return;
        }
        from = close + 1;
      }
      if (table === null) {
        warnings.atLine(lineNo, `rule outside a table: ${excerpt(line)}`);
        return;
      }
      tokenize(scanner, wordCache, lineStart + from, lineEnd, words);
      if (!words.balanced) warnings.atLine(lineNo, `unbalanced quote in ${excerpt(line)}`);
      if (words.truncated)
        warnings.atLine(lineNo, `more than ${MAX_WORDS_PER_LINE} words in one rule; the rest of the line was not read`);
      const t: IptTable = table;
      lineContext.lineNo = lineNo;
      lineContext.table = t.name;
      const parts = buildRule(words, lineContext, false);
      if (parts === undefined) return;
      // iptables-save prints a chain's rules together: reuse the last chain before hashing.
      let chain =
        lastChain !== undefined && lastChain.name === parts.chain && lastChainTable === t
          ? lastChain
          : t.chains.get(parts.chain);
      if (chain === undefined) {
        warnings.atLine(
          lineNo,
          `rule for chain ${excerpt(parts.chain)} which has no ":${clip(parts.chain)}" header in table ${clip(t.name)}`,
        );
        chain = { name: parts.chain, policy: null, rules: [], raw: '' } satisfies IptChain;
        t.chains.set(parts.chain, chain);
      }
      const rule = new SavedRule(
        matchReader,
        lineStart + from,
        lineEnd,
        {
          table: t.name,
          chain: chain.name,
          position: chain.rules.length + 1,
          target: parts.target,
          goto: parts.goto,
          raw: line,
          line: lineNo,
        },
        counters ?? parts.counters,
      );
      chain.rules.push(rule);
      lastChain = chain;
      lastChainTable = t;
      return;
    }

    warnings.atLine(lineNo, `not an iptables-save line: ${excerpt(line)}`);
  });
  closeUnterminated('end of input');

  return { value: ruleset, warnings: warnings.done() };
}

/** ":NAME POLICY [p:b]" → name and policy (null for "-", i.e. a user chain). */
function parseChainHeader(line: string, s: number): { name: string; policy: string | null } | undefined {
  const fields = line
    .slice(s + 1)
    .split(/[ \t]+/)
    .filter((f) => f.length > 0);
  const name = fields[0];
  const policy = fields[1];
  if (name === undefined || policy === undefined) return undefined;
  return { name, policy: policy === '-' ? null : policy };
}
