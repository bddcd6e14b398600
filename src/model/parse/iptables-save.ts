// Parser for `iptables-save [-c]` output (both the nf_tables and the legacy backend print the same
// format): the line grammar of iptables/iptables-save.c, xtables-save.c — "*table",
// ":CHAIN POLICY [packets:bytes]", rules, "COMMIT", "# ..." comments; `-c` prefixes every rule
// with "[packets:bytes] ". A rule line is split into words by iptables-save/tokenizer.ts (a port of
// iptables-restore's own reader), turned into matches and a target by iptables-save/rule-words.ts,
// and kept as a rule whose matches are read on demand (iptables-save/saved-rule.ts).
import type { IptablesBackend, IptChain, IptRuleset, IptTable, Parsed } from '../types.ts';
import { forEachLine } from './lines.ts';
import { buildRule, LineContext, parseCount } from './iptables-save/rule-words.ts';
import { MatchReader, RuleCore, SavedRule } from './iptables-save/saved-rule.ts';
import { MAX_WORDS_PER_LINE, SPACE, TAB, TextScanner, tokenize, WordCache, Words } from './iptables-save/tokenizer.ts';
import type { PiecedSection, PieceStore } from '../../snapshot/pieced.ts';
import { holeOffsets } from '../../snapshot/v2/pieces.ts';
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

export const LEGACY_WARNING = 'iptables-legacy tables present';

/** Where a rule line's words are: offsets into `text`, read by its scanner and match reader. */
interface LineSource {
  text: string;
  scanner: TextScanner;
  reader: MatchReader;
  lineStart: number;
  lineEnd: number;
}

function lineSource(text: string, wordCache: WordCache): LineSource {
  return {
    text,
    scanner: new TextScanner(text),
    reader: new MatchReader(text, wordCache),
    lineStart: 0,
    lineEnd: text.length,
  };
}

/** A rule line read once: its core, and the warnings reading it gave (without line numbers). */
export interface ReadRule {
  core: RuleCore | undefined;
  counters: { packets: number; bytes: number } | undefined;
  warnings: readonly string[];
}

/**
 * Reads a rule's words (text[start, end) of `src`) in `table`: tokenizer, matches and target.
 * Warnings go to `lineContext`'s list, at its line.
 */
function readRule(
  src: LineSource,
  start: number,
  table: string,
  text: string,
  words: Words,
  wordCache: WordCache,
  lineContext: LineContext,
): { core: RuleCore; counters: { packets: number; bytes: number } | undefined } | undefined {
  tokenize(src.scanner, wordCache, start, src.lineEnd, words);
  const w = lineContext.list;
  if (!words.balanced) w.atLine(lineContext.lineNo, `unbalanced quote in ${excerpt(text)}`);
  if (words.truncated)
    w.atLine(
      lineContext.lineNo,
      `more than ${MAX_WORDS_PER_LINE} words in one rule; the rest of the line was not read`,
    );
  lineContext.table = table;
  const parts = buildRule(words, lineContext, false);
  if (parts === undefined) return undefined;
  return {
    core: new RuleCore(
      src.reader,
      start,
      src.lineEnd,
      table,
      lineContext.chainName(parts.chain),
      parts.target,
      parts.goto,
      text,
    ),
    counters: parts.counters,
  };
}

/** One parse of iptables-save text, fed line by line. */
class SaveParse {
  readonly warnings = new Warnings();
  readonly ruleset: IptRuleset;
  readonly words = new Words();
  readonly lineContext = new LineContext(this.warnings);
  private lastChain: IptChain | undefined;
  private lastChainTable: IptTable | undefined;
  table: IptTable | null = null;
  private tableLine = 0;

  constructor(
    backend: IptablesBackend,
    readonly wordCache: WordCache,
  ) {
    this.ruleset = { backend, tables: new Map() };
  }

  closeUnterminated(why: string): void {
    if (this.table !== null)
      this.warnings.atLine(this.tableLine, `table ${clip(this.table.name)} has no COMMIT (${why}); kept as read`);
  }

  /** One line; `src` says where a rule line's words are (by default, in `line` itself). */
  line(line: string, lineNo: number, src?: LineSource): void {
    const warnings = this.warnings;
    const s = skipBlanks(line, 0);
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
      this.closeUnterminated(`next table starts at line ${lineNo}`);
      if (name === '' || /\s/.test(name)) {
        warnings.atLine(lineNo, `bad table line ${excerpt(line)}`);
        this.table = null;
        return;
      }
      if (this.ruleset.tables.has(name)) {
        // iptables-restore replaces a table each time it reads one (it flushes it first).
        warnings.atLine(
          lineNo,
          `table ${clip(name)} appears twice; the later one replaces the earlier, as iptables-restore would`,
        );
      }
      this.table = { name, chains: new Map() };
      this.ruleset.tables.set(name, this.table);
      this.tableLine = lineNo;
      return;
    }

    if (first === ':') {
      if (this.table === null) {
        warnings.atLine(lineNo, `chain header outside a table: ${excerpt(line)}`);
        return;
      }
      this.header(parseChainHeader(line, s), line, lineNo);
      return;
    }

    if (first === 'C' && line.slice(s).trimEnd() === 'COMMIT') {
      if (this.table === null) warnings.atLine(lineNo, 'COMMIT outside a table');
      this.table = null;
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
      if (this.table === null) {
        warnings.atLine(lineNo, `rule outside a table: ${excerpt(line)}`);
        return;
      }
      const at = src ?? lineSource(line, this.wordCache);
      this.lineContext.lineNo = lineNo;
      const r = readRule(at, at.lineStart + from, this.table.name, line, this.words, this.wordCache, this.lineContext);
      if (r !== undefined) this.addRule(this.table, r.core, lineNo, counters ?? r.counters, undefined);
      return;
    }

    warnings.atLine(lineNo, `not an iptables-save line: ${excerpt(line)}`);
  }

  /** A chain header line in the current table (not null), `h` its name and policy (undefined: unreadable). */
  header(h: ChainHeader | undefined, line: string, lineNo: number): void {
    const table = this.table!;
    if (h === undefined) {
      this.warnings.atLine(lineNo, `bad chain header ${excerpt(line)}`);
      return;
    }
    const existing = table.chains.get(h.name);
    if (existing !== undefined) {
      this.warnings.atLine(
        lineNo,
        `chain ${clip(h.name)} declared twice in table ${clip(table.name)}; the first header is kept`,
      );
      if (existing.raw === '') {
        existing.raw = line;
        existing.policy = h.policy;
      }
      return;
    }
    table.chains.set(h.name, { name: h.name, policy: h.policy, rules: [], raw: line });
  }

  /** A rule line read before (a shared piece's), at `lineNo` of this text, with its lifted counter. */
  readRule(
    r: ReadRule,
    lineNo: number,
    counters: { packets: number; bytes: number },
    lifted: string | undefined,
  ): void {
    for (const w of r.warnings) this.warnings.atLine(lineNo, w);
    if (r.core !== undefined)
      this.addRule(this.table!, r.core, lineNo, lifted === undefined ? r.counters : counters, lifted);
  }

  private addRule(
    t: IptTable,
    core: RuleCore,
    lineNo: number,
    counters: { packets: number; bytes: number } | undefined,
    lifted: string | undefined,
  ): void {
    // iptables-save prints a chain's rules together: reuse the last chain before hashing.
    let chain =
      this.lastChain !== undefined && this.lastChain.name === core.chain && this.lastChainTable === t
        ? this.lastChain
        : t.chains.get(core.chain);
    if (chain === undefined) {
      this.warnings.atLine(
        lineNo,
        `rule for chain ${excerpt(core.chain)} which has no ":${clip(core.chain)}" header in table ${clip(t.name)}`,
      );
      chain = { name: core.chain, policy: null, rules: [], raw: '' } satisfies IptChain;
      t.chains.set(core.chain, chain);
    }
    chain.rules.push(new SavedRule(core, chain.rules.length + 1, lineNo, counters, lifted));
    this.lastChain = chain;
    this.lastChainTable = t;
  }

  done(): Parsed<IptRuleset> {
    this.closeUnterminated('end of input');
    // A pushed-to [] reserves room for 17 rules: most chains (KUBE-SEP-*, KUBE-SVC-*) hold 1 to 4.
    for (const t of this.ruleset.tables.values())
      for (const c of t.chains.values()) if (c.rules.length > 0) c.rules = c.rules.slice();
    return { value: this.ruleset, warnings: this.warnings.done() };
  }
}

/**
 * Parses `iptables-save -c` (or without -c) output of one backend. Never throws: lines it cannot
 * read become warnings, and everything readable is returned.
 */
export function parseIptablesSave(text: string, backend: IptablesBackend): Parsed<IptRuleset> {
  const wordCache = new WordCache();
  const parse = new SaveParse(backend, wordCache);
  const src = lineSource(text, wordCache);
  forEachLine(text, (line, lineNo, lineStart, lineEnd) => {
    src.lineStart = lineStart;
    src.lineEnd = lineEnd;
    parse.line(line, lineNo, src);
  });
  return parse.done();
}

/** A line of a piece: its offsets, and which of the piece's holes it holds. */
export interface PieceLine {
  start: number;
  end: number;
  firstHole: number;
  holes: number;
}

/** What the parse keeps of one piece for every host that holds it. */
export class ParsedPiece {
  readonly lines: PieceLine[] = [];
  readonly holeAt: number[];
  /** Per table, per line index: the rule read once. */
  private readonly read = new Map<string, (ReadRule | undefined)[]>();

  constructor(readonly text: string) {
    this.holeAt = holeOffsets(text);
    let h = 0;
    forEachLine(text, (_line, _no, start, end) => {
      const firstHole = h;
      while (h < this.holeAt.length && this.holeAt[h]! < end) h++;
      this.lines.push({ start, end, firstHole, holes: h - firstHole });
    });
  }

  /** The line with the host's counters put back (`next` gives them in order). */
  filled(l: PieceLine, next: () => string): string {
    if (l.holes === 0) return this.text.slice(l.start, l.end);
    let out = '';
    let at = l.start;
    for (let k = 0; k < l.holes; k++) {
      const hole = this.holeAt[l.firstHole + k]!;
      const c = next();
      out += `${this.text.slice(at, hole)}[${c === '0' ? '0:0' : c}]`;
      at = hole + 2;
    }
    return out + this.text.slice(at, l.end);
  }

  /** Per header line: its name and policy (null: unreadable), and the last host's line with its counter. */
  private readonly headers: ({ h: ChainHeader | null; counter: string; line: string } | undefined)[] = [];

  /** Chain header line `i` (no counter, or one lifted from its end) read once; undefined when unreadable. */
  header(i: number): ChainHeader | undefined {
    const l = this.lines[i]!;
    const got = (this.headers[i] ??= {
      h: parseChainHeader(this.text.slice(l.start, l.end), 0) ?? null,
      counter: '',
      line: '',
    });
    return got.h ?? undefined;
  }

  /**
   * Header line `i` as a host printed it: one string for every host whose counter is the same as
   * the host before's (most are [0:0]).
   */
  headerLine(i: number, next: () => string): string {
    const l = this.lines[i]!;
    const got = this.headers[i]!;
    if (l.holes === 0) return (got.line ||= this.text.slice(l.start, l.end));
    const c = next();
    if (c !== got.counter || got.line === '') {
      got.counter = c;
      got.line = this.filled(l, () => c);
    }
    return got.line;
  }

  /** Rule line `i` (no counter, or one lifted from its front) read in `table`, once. */
  rule(i: number, table: string, shared: SharedIptablesParse): ReadRule {
    let byLine = this.read.get(table);
    if (byLine === undefined) this.read.set(table, (byLine = []));
    let r = byLine[i];
    if (r === undefined) {
      const l = this.lines[i]!;
      const from = l.holes === 0 ? l.start : l.start + 2;
      const text = this.text.slice(l.start, l.end);
      const src = shared.source(this, table);
      src.lineEnd = l.end;
      shared.lineContext.lineNo = 0;
      const got = readRule(src, from, table, text, shared.words, shared.wordCache, shared.lineContext);
      r = { core: got?.core, counters: got?.counters, warnings: shared.takeWarnings() };
      byLine[i] = r;
    }
    return r;
  }
}

const NO_WARNINGS: readonly string[] = Object.freeze([]);

/** Per snapshot read: the word cache and reading state every piece's rules share. */
export class SharedIptablesParse {
  /** Each piece parsed, by its number in the store. */
  readonly pieces: ParsedPiece[] = [];
  readonly wordCache = new WordCache();
  readonly words = new Words();
  /** Records what reading a rule warns, at line 0; the parse of each host says it at its own line. */
  readonly lineContext = new LineContext(new Warnings(Number.POSITIVE_INFINITY));
  private readonly sources = new Map<ParsedPiece, Map<string, LineSource>>();

  /** The warnings recorded since the last call, without their "line 0: " (most rules give none). */
  takeWarnings(): readonly string[] {
    const rec = this.lineContext.list;
    if (rec.count === 0) return NO_WARNINGS;
    this.lineContext.list = new Warnings(Number.POSITIVE_INFINITY);
    return rec.done().map((w) => w.slice('line 0: '.length));
  }

  /** A piece's source, one per table (a scanner reads forward only). */
  source(piece: ParsedPiece, table: string): LineSource {
    let m = this.sources.get(piece);
    if (m === undefined) this.sources.set(piece, (m = new Map()));
    let src = m.get(table);
    if (src === undefined) m.set(table, (src = lineSource(piece.text, this.wordCache)));
    return src;
  }
}

const SHARED = '\0iptables-save';

/** The shared reading state of a snapshot's pieces. */
export function sharedParseOf(store: PieceStore): SharedIptablesParse {
  let shared = store.derived.get(SHARED) as SharedIptablesParse | undefined;
  if (shared === undefined) store.derived.set(SHARED, (shared = new SharedIptablesParse()));
  return shared;
}

/** Piece number `ref` of `store`, parsed once. */
export function parsedPiece(store: PieceStore, ref: number): ParsedPiece {
  const pieces = sharedParseOf(store).pieces;
  return (pieces[ref] ??= new ParsedPiece(store.texts[ref]!));
}

/**
 * parseIptablesSave of a section held in pieces (a v2 snapshot), the same result without putting
 * the text together: each piece's rule lines are read once for every host holding it (their
 * cores shared), and each host's rules take its own counters and line numbers.
 */
export function parseIptablesPieced(p: PiecedSection, backend: IptablesBackend): Parsed<IptRuleset> {
  const shared = sharedParseOf(p.store);
  const parse = new SaveParse(backend, shared.wordCache);
  const next = p.counters.reader();
  let lineNo = 0;
  for (let i = 0; i < p.refs.length; i++) {
    const piece = parsedPiece(p.store, p.refs[i]!);
    const text = piece.text;
    for (let li = 0; li < piece.lines.length; li++) {
      const l = piece.lines[li]!;
      lineNo++;
      const c0 = text.charCodeAt(l.start);
      const table = parse.table;
      // The common line: a rule, its counter lifted from its front (or none), in a table.
      if (
        table !== null &&
        ((l.holes === 0 && c0 === 45) || (l.holes === 1 && piece.holeAt[l.firstHole] === l.start))
      ) {
        const lifted = l.holes === 1 ? next() : undefined;
        const counters = lifted === undefined ? ZERO_COUNTERS : liftedCounters(lifted);
        const r = piece.rule(li, table.name, shared);
        // A warning quotes the line as printed: such a (rare) line is read again with its counter.
        if (counters !== undefined && (r.warnings.length === 0 || lifted === undefined)) {
          parse.readRule(r, lineNo, counters, lifted);
          continue;
        }
        parse.line(`[${lifted}]${text.slice(l.start + 2, l.end)}`, lineNo);
        continue;
      }
      // A chain header, its counter (if any) lifted from its end: name and policy read once.
      if (
        table !== null &&
        c0 === 58 &&
        (l.holes === 0 || (l.holes === 1 && piece.holeAt[l.firstHole] === l.end - 2))
      ) {
        const h = piece.header(li);
        if (h?.policy !== '[]') {
          parse.header(h, piece.headerLine(li, next), lineNo);
          continue;
        }
      }
      parse.line(piece.filled(l, next), lineNo);
    }
  }
  return parse.done();
}

/** A lifted counter ("p:b", "0") → counters; undefined when a count does not parse. */
export function liftedCounters(c: string): { packets: number; bytes: number } | undefined {
  if (c === '0') return ZERO_COUNTERS;
  return parseBracketCounters(`[${c}]`);
}

interface ChainHeader {
  name: string;
  policy: string | null;
}

/** ":NAME POLICY [p:b]" → name and policy (null for "-", i.e. a user chain). */
function parseChainHeader(line: string, s: number): ChainHeader | undefined {
  // The first two words after ":" (split on spaces and tabs), scanned in place: a 10k-Service
  // dump has 40k headers, and splitting each into an array cost ~50 ms of a doctor's parse.
  const nameStart = skipBlanks(line, s + 1);
  const nameEnd = wordEnd(line, nameStart);
  const policyStart = skipBlanks(line, nameEnd);
  const policyEnd = wordEnd(line, policyStart);
  if (policyStart === policyEnd) return undefined;
  const policy = line.slice(policyStart, policyEnd);
  return { name: line.slice(nameStart, nameEnd), policy: policy === '-' ? null : policy };
}

const isBlank = (c: number): boolean => c === SPACE || c === TAB;

function skipBlanks(line: string, i: number): number {
  while (i < line.length && isBlank(line.charCodeAt(i))) i++;
  return i;
}

function wordEnd(line: string, i: number): number {
  while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
  return i;
}
