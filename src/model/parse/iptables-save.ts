// Parser for `iptables-save [-c]` output (both the nf_tables and the legacy backend print the same
// format). The line grammar and the quoting follow iptables itself:
//  - iptables/iptables-save.c, xtables-save.c: "*table", ":CHAIN POLICY [packets:bytes]", rules,
//    "COMMIT", "# ..." comments; `-c` prefixes every rule with "[packets:bytes] ".
//  - libxtables/xtables.c xtables_save_string(): a value is printed bare when it is made only of
//    [A-Za-z0-9_-], otherwise in double quotes with `"`, `\` and `'` escaped by a backslash.
//  - iptables/xshared.c add_param_to_argv() (what iptables-restore uses to read it back): a `"`
//    opens a quoted part anywhere in a word, inside quotes a backslash escapes the next character,
//    the closing quote ends the word, and spaces/tabs separate words.
// The tokenizer below is a port of add_param_to_argv(), so we read exactly what iptables-restore
// would read.
//
// A rule is split into matches and a target. iptables-save prints the core matches first
// (-s -d -i -o -p -f, iptables/xshared.c save_rule_details/print_ifaces...), then each
// "-m NAME" with its options, then "-j TARGET options" or "-g CHAIN". A "!" before an option
// negates it. Hand-written restore files may reorder these (kube-proxy's own test fixtures write
// "-m tcp -p tcp -d IP --dport 80"): options go to the "-m" match before them, except that
// protocol options (--dport, --tcp-flags...) go to the protocol's match, explicit or loaded by
// "-p tcp", because iptables resolves an option by name, not by position.
//
// Size: a 10k-service kube-proxy node has ~110k rules (~16 MB). Every rule is read completely
// during the parse (so every warning is reported), but a rule's matches are kept only once they
// are asked for (SavedRule), and the pieces many rules share are shared: see `npm run bench`.

import type {
  IptablesBackend,
  IptChain,
  IptMatch,
  IptOption,
  IptRule,
  IptRuleset,
  IptTable,
  IptTarget,
  Parsed,
} from '../types.ts';
import { forEachLine } from './lines.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

/** Core options and how many arguments each takes (iptables/xshared.c, "-f" takes none). */
const CORE_ARITY: ReadonlyMap<string, number> = new Map([
  ['s', 1],
  ['d', 1],
  ['i', 1],
  ['o', 1],
  ['p', 1],
  ['f', 0],
]);

/**
 * Options whose single argument is free text. xtables_save_string() prints such a value bare when
 * it is made of [A-Za-z0-9_-] only, so "--comment -x" is possible: the argument must be taken
 * even though it looks like an option.
 */
const FREE_TEXT_OPTIONS: ReadonlySet<string> = new Set([
  'comment',
  'log-prefix',
  'nflog-prefix',
  'name',
  'helper',
  'set-class',
]);

/** Protocols for which "-p PROTO" loads a match of the same name (iptables/xshared.c load_proto). */
const IMPLICIT_PROTO_MATCHES: ReadonlySet<string> = new Set([
  'tcp',
  'udp',
  'udplite',
  'sctp',
  'dccp',
  'icmp',
  'icmpv6',
  'ipv6-icmp',
  'mh',
]);

/**
 * Options of those protocol matches (libxt_tcp.c, libxt_udp.c, libipt_icmp.c, libxt_sctp.c,
 * libxt_dccp.c). iptables finds an option's owner by name, so "-m comment --comment x -p tcp
 * --dport 80" gives --dport to tcp, whatever its position.
 */
const PROTO_MATCH_OPTIONS: ReadonlySet<string> = new Set([
  'sport',
  'dport',
  'source-port',
  'destination-port',
  'tcp-flags',
  'syn',
  'tcp-option',
  'icmp-type',
  'icmpv6-type',
  'chunk-types',
  'dccp-types',
  'dccp-option',
]);

// ---------------------------------------------------------------- tokenizer

/**
 * Most words we read from one rule line. iptables-restore itself refuses lines of more than 255
 * words (iptables/xshared.h MAX_ARGC); this is far above that and only bounds the work a hostile
 * line can cause.
 */
const MAX_WORDS_PER_LINE = 4096;

/** Words of one line, reused from line to line to keep allocation down on 100k-rule dumps. */
class Words {
  text: string[] = [];
  quoted: boolean[] = [];
  n = 0;
  /** False when the line ended inside an open quote. */
  balanced = true;
  /** True when the line had more than MAX_WORDS_PER_LINE words (the rest was not read). */
  truncated = false;

  reset(): void {
    this.n = 0;
    this.balanced = true;
    this.truncated = false;
  }

  push(word: string, quoted: boolean): void {
    this.text[this.n] = word;
    this.quoted[this.n] = quoted;
    this.n++;
  }
}

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;

/** Finds the next `"` or `\` at or after a position, before `end`; Infinity when none. */
interface Scanner {
  readonly text: string;
  quoteFrom(i: number, end: number): number;
  backslashFrom(i: number, end: number): number;
}

/**
 * For the parse's single pass over the whole text: the positions of the next `"` and `\` are
 * found with indexOf and kept until the scan passes them. Searching per word would rescan the
 * rest of a 20 MB dump for every quoted comment when the dump has no backslash at all.
 */
class TextScanner implements Scanner {
  private quote = -1;
  private backslash = -1;

  constructor(readonly text: string) {}

  quoteFrom(i: number): number {
    if (this.quote < i && this.quote !== Infinity) {
      const q = this.text.indexOf('"', i);
      this.quote = q === -1 ? Infinity : q;
    }
    return this.quote;
  }

  backslashFrom(i: number): number {
    if (this.backslash < i && this.backslash !== Infinity) {
      const b = this.text.indexOf('\\', i);
      this.backslash = b === -1 ? Infinity : b;
    }
    return this.backslash;
  }
}

/** For reading one line again later, in any order: searches only within the line. */
class LineScanner implements Scanner {
  constructor(readonly text: string) {}

  quoteFrom(i: number, end: number): number {
    for (let j = i; j < end; j++) if (this.text.charCodeAt(j) === QUOTE) return j;
    return Infinity;
  }

  backslashFrom(i: number, end: number): number {
    for (let j = i; j < end; j++) if (this.text.charCodeAt(j) === BACKSLASH) return j;
    return Infinity;
  }
}

/**
 * One shared copy of each short word: "-m", "tcp", "--comment", "KUBE-MARK-MASQ" and the like
 * repeat on every rule, and a 100k-rule dump would otherwise hold a million copies of them. A
 * direct-mapped table compared in place (startsWith), so a hit costs neither an allocation nor
 * a hash of a new string.
 */
class WordCache {
  private readonly slots: (string | undefined)[] = new Array<string | undefined>(WORD_CACHE_SLOTS).fill(undefined);

  get(text: string, start: number, end: number): string {
    const len = end - start;
    if (len > WORD_CACHE_MAX_LENGTH || len === 0) return text.slice(start, end);
    const h =
      (Math.imul(len, 0x9e3779b1) ^
        (text.charCodeAt(start) << 3) ^
        (text.charCodeAt(start + (len >> 1)) << 9) ^
        (text.charCodeAt(end - 1) << 15)) &
      (WORD_CACHE_SLOTS - 1);
    const cached = this.slots[h];
    if (cached !== undefined && cached.length === len && text.startsWith(cached, start)) return cached;
    const word = text.slice(start, end);
    this.slots[h] = word;
    return word;
  }
}

const WORD_CACHE_SLOTS = 4096;
const WORD_CACHE_MAX_LENGTH = 20;

/**
 * Splits text[start, end) into words the way iptables-restore's add_param_to_argv() does.
 * Works on the whole text rather than a line copy: charCodeAt on the flat input is the fast path.
 */
function tokenize(scan: Scanner, cache: WordCache, start: number, end: number, out: Words): void {
  out.reset();
  const text = scan.text;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    if (out.n === MAX_WORDS_PER_LINE) {
      out.truncated = true;
      return;
    }
    // Fast path: a bare word without quotes, which is nearly every word iptables-save prints.
    let j = i;
    while (j < end) {
      c = text.charCodeAt(j);
      if (c === SPACE || c === TAB || c === QUOTE) break;
      j++;
    }
    if (j === end || c !== QUOTE) {
      out.push(cache.get(text, i, j), false);
      i = j;
      continue;
    }
    // A quote inside or at the start of the word: "abc"def is two words, abc"d e" is one.
    let word = text.slice(i, j);
    i = j + 1;
    let closed = false;
    while (i < end) {
      const q = scan.quoteFrom(i, end);
      if (q >= end) break;
      const b = scan.backslashFrom(i, q);
      if (b < q) {
        word += text.slice(i, b);
        if (b + 1 < end) word += text[b + 1];
        i = b + 2;
        continue;
      }
      word += text.slice(i, q);
      i = q + 1;
      closed = true;
      break;
    }
    if (!closed) {
      // Unbalanced quote: iptables-restore rejects the line; keep what we read and say so.
      word += unescapeRest(text, i, end);
      out.push(word, true);
      out.balanced = false;
      return;
    }
    out.push(word, true);
  }
}

function unescapeRest(text: string, from: number, end: number): string {
  let s = '';
  for (let i = from; i < end; i++) {
    if (text.charCodeAt(i) === BACKSLASH && i + 1 < end) i++;
    s += text[i];
  }
  return s;
}

/** Is this word an option name (unquoted "-x" / "--xyz"), as opposed to an argument? */
function isOptionWord(word: string, quoted: boolean): boolean {
  if (quoted || word.length < 2 || word.charCodeAt(0) !== 45 /* - */) return false;
  const c1 = word.charCodeAt(1);
  // "-1" is a negative number, an argument.
  return !(c1 >= 48 && c1 <= 57);
}

// ---------------------------------------------------------------- rule words → structure

interface RuleParts {
  chain: string;
  matches: IptMatch[];
  target: IptTarget | null;
  goto: boolean;
  counters?: { packets: number; bytes: number };
}

/**
 * Per-parse state shared by every rule line: where warnings go (one object per parse, no closure
 * per line), and the pieces rules have in common. A 100k-rule kube-proxy dump repeats a few
 * targets on most of its rules ("-j KUBE-MARK-MASQ", "-j RETURN") and a few option-less matches
 * ("-m tcp" on every DNAT rule): one shared copy of each. Shared values are frozen, so that code
 * modifying one rule's target gets a TypeError instead of silently changing other rules.
 */
class LineContext {
  lineNo = 0;
  table = '';
  private readonly bareMatches = new Map<string | null, IptMatch>();
  private readonly bareTargets = new Map<string, IptTarget>();

  constructor(private readonly list: Warnings) {}

  warn(msg: string): void {
    this.list.atLine(this.lineNo, `${msg} (table ${clip(this.table)})`);
  }

  match(m: IptMatch): IptMatch {
    if (m.options.length === 0)
      return getOrAdd(this.bareMatches, m.module, () => Object.freeze({ module: m.module, options: NO_OPTIONS }));
    m.options = m.options.slice(); // exact size: a pushed-to [] reserves room for 17 elements
    return m;
  }

  target(t: IptTarget): IptTarget {
    // Short names only: those come from WordCache (one string object, its hash computed once);
    // long ones are per-service chains ("KUBE-SEP-…") that seldom repeat.
    if (t.options.length === 0 && t.name.length <= WORD_CACHE_MAX_LENGTH) {
      return getOrAdd(this.bareTargets, t.name, () => Object.freeze({ name: t.name, options: NO_OPTIONS }));
    }
    if (t.options.length === 0) {
      t.options = NO_OPTIONS;
      return t;
    }
    t.options = t.options.slice();
    return t;
  }
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

/** The counters of every rule that saw no packet (most of them), shared. */
const ZERO_COUNTERS: { packets: number; bytes: number } = Object.freeze({ packets: 0, bytes: 0 });

/**
 * The empty option list and argument list that every rule without options shares (most targets:
 * "-j KUBE-MARK-MASQ", "-j RETURN"; "-m tcp" in DNAT rules). Frozen, so that sharing is safe:
 * parsed rules are read-only.
 */
const NO_OPTIONS: IptOption[] = Object.freeze([]) as unknown as IptOption[];
const NO_ARGS: string[] = Object.freeze([]) as unknown as string[];

/** "-s"/"--source"... → core option letter (a switch: no string hashing on the hot path). */
function coreOption(name: string, long: boolean): string | undefined {
  if (!long) return name.length === 1 && CORE_ARITY.has(name) ? name : undefined;
  switch (name) {
    case 'source':
    case 'src':
      return 's';
    case 'destination':
    case 'dst':
      return 'd';
    case 'in-interface':
      return 'i';
    case 'out-interface':
      return 'o';
    case 'protocol':
      return 'p';
    case 'fragment':
      return 'f';
    default:
      return undefined;
  }
}

/** What the options that follow belong to. */
enum Ctx {
  None,
  Core,
  Match,
  Target,
}

/**
 * Turns the words of a rule line (starting at "-A") into matches and a target. Never throws:
 * problems are reported through `out` and the rule keeps what could be read.
 */
function buildRule(w: Words, out: LineContext, keepMatches: boolean): RuleParts | undefined {
  if (w.n < 2 || w.quoted[0] || (w.text[0] !== '-A' && w.text[0] !== '--append')) {
    out.warn(`not a rule: expected "-A CHAIN", found ${excerpt(w.n > 0 ? (w.text[0] ?? '') : '')}`);
    return undefined;
  }
  const parts: RuleParts = { chain: w.text[1] ?? '', matches: [], target: null, goto: false };
  let core: IptMatch | null = null;
  let lastModule: IptMatch | null = null;
  let protocol: string | null = null;
  let ctx = Ctx.None;
  let ctxMatch: IptMatch | null = null;
  let ctxTarget: IptTarget | null = null;
  let pendingNegation = false;
  let lastOption: IptOption | null = null;

  let k = 2;
  while (k < w.n) {
    const word = w.text[k] as string;
    const quoted = w.quoted[k] as boolean;
    if (!quoted && word === '!') {
      const next = w.text[k + 1];
      if (next !== undefined && isOptionWord(next, w.quoted[k + 1] as boolean)) {
        pendingNegation = true;
      } else if (lastOption !== null) {
        // Old iptables (< 1.4.3) printed the "!" after the option name: "--dport ! 80".
        lastOption.negated = true;
      } else {
        out.warn('"!" with nothing to negate; ignored');
      }
      k++;
      continue;
    }
    if (!isOptionWord(word, quoted)) {
      // An argument with no option before it.
      if (lastOption !== null) lastOption.args = [...lastOption.args, word];
      else out.warn(`stray argument ${excerpt(word)}; ignored`);
      k++;
      continue;
    }

    const long = word.charCodeAt(1) === 45;
    const name = long ? word.slice(2) : word.slice(1);

    if (name === 'm' || name === 'match' || name === 'j' || name === 'jump' || name === 'g' || name === 'goto') {
      if (pendingNegation) out.warn(`"!" before ${word} cannot be negated; ignored`);
      pendingNegation = false;
      const arg = w.text[k + 1];
      if (arg === undefined) {
        out.warn(`"${word}" without its argument`);
        break;
      }
      lastOption = null;
      k += 2;
      if (name === 'm' || name === 'match') {
        const m: IptMatch = { module: arg, options: [] };
        parts.matches.push(m);
        lastModule = m;
        ctx = Ctx.Match;
        ctxMatch = m;
      } else {
        if (parts.target !== null) out.warn(`second target ${excerpt(arg)}; it replaces ${excerpt(parts.target.name)}`);
        const t: IptTarget = { name: arg, options: [] };
        parts.target = t;
        parts.goto = name === 'g' || name === 'goto';
        ctx = Ctx.Target;
        ctxTarget = t;
      }
      continue;
    }
    if (name === 'c' || name === 'set-counters') {
      // iptables-restore also accepts "-c PACKETS BYTES" inside the rule.
      const p = parseCount(w.text[k + 1]);
      const b = parseCount(w.text[k + 2]);
      if (p !== undefined && b !== undefined) parts.counters = { packets: p, bytes: b };
      else out.warn(`bad counters after "${word}"`);
      k += 3;
      continue;
    }

    const coreName = coreOption(name, long);
    if (coreName !== undefined) {
      const opt: IptOption = { name: coreName, negated: pendingNegation, args: NO_ARGS };
      pendingNegation = false;
      const arity = CORE_ARITY.get(coreName) ?? 0;
      k++;
      if (arity > 0 && w.text[k] === '!' && !w.quoted[k]) {
        // Old iptables (< 1.4.3) printed "-s ! 10.0.0.0/8".
        opt.negated = true;
        k++;
      }
      if (arity === 1 && k < w.n) {
        opt.args = [w.text[k] as string];
        k++;
      } else if (arity > 0) out.warn(`"${word}" without its argument`);
      if (core === null) {
        core = { module: null, options: [] };
        parts.matches.push(core);
      }
      core.options.push(opt);
      if (coreName === 'p') protocol = opt.args[0] ?? null;
      ctx = Ctx.Core;
      lastOption = null; // the core option's argument count is fixed
      continue;
    }

    if (!long) out.warn(`unknown option "${word}"`);

    const opt: IptOption = { name, negated: pendingNegation, args: NO_ARGS };
    pendingNegation = false;
    k++;
    // Arguments are copied only when kept: a match option's when the matches are wanted, a
    // target option's always (the parse keeps targets). The argument count is the same either way.
    const keepArgs = keepMatches || ctx === Ctx.Target;
    if (FREE_TEXT_OPTIONS.has(name) && k < w.n) {
      if (keepArgs) opt.args = [w.text[k] as string];
      k++;
    } else {
      let end = k;
      while (
        end < w.n &&
        !isOptionWord(w.text[end] as string, w.quoted[end] as boolean) &&
        !(w.text[end] === '!' && !w.quoted[end])
      )
        end++;
      // Arrays of the exact size: a pushed-to [] reserves room for 17 elements, and a 100k-rule
      // dump holds a million of these arrays.
      if (end > k && keepArgs) opt.args = w.text.slice(k, end);
      k = end;
    }
    lastOption = opt;

    if (
      protocol !== null &&
      ctx !== Ctx.Target &&
      !(ctx === Ctx.Match && ctxMatch?.module === protocol) &&
      PROTO_MATCH_OPTIONS.has(name) &&
      IMPLICIT_PROTO_MATCHES.has(protocol)
    ) {
      // "-p tcp --dport 80": the option belongs to the tcp match, explicit or loaded implicitly
      // by -p (iptables/xshared.c load_proto).
      let m: IptMatch | undefined;
      for (const x of parts.matches) if (x.module === protocol) m = x;
      if (m === undefined) {
        m = { module: protocol, options: [] };
        parts.matches.push(m);
      }
      m.options.push(opt);
      lastModule = m;
      ctx = Ctx.Match;
      ctxMatch = m;
    } else if (ctx === Ctx.Match && ctxMatch !== null) ctxMatch.options.push(opt);
    else if (ctx === Ctx.Target && ctxTarget !== null) ctxTarget.options.push(opt);
    else if (lastModule !== null) lastModule.options.push(opt);
    else {
      out.warn(`option "${word}" belongs to no match or target; kept with the core matches`);
      if (core === null) {
        core = { module: null, options: [] };
        parts.matches.push(core);
      }
      core.options.push(opt);
    }
  }
  if (pendingNegation) out.warn('"!" at the end of the rule; ignored');
  // The shared, frozen copies (see LineContext), in an array of the exact size (a pushed-to []
  // reserves room for 17 elements).
  if (keepMatches) {
    const matches = new Array<IptMatch>(parts.matches.length);
    for (let i = 0; i < matches.length; i++) matches[i] = out.match(parts.matches[i] as IptMatch);
    parts.matches = matches;
  } else {
    parts.matches = NO_MATCHES;
  }
  if (parts.target !== null) parts.target = out.target(parts.target);
  return parts;
}

const NO_MATCHES: IptMatch[] = Object.freeze([]) as unknown as IptMatch[];

// ---------------------------------------------------------------- rules with matches read on demand

/**
 * Reads a rule's matches again from its line, when they are first asked for. The parse itself
 * reads every rule completely (so every warning is in Parsed.warnings) but keeps only the target;
 * the matches of a 100k-rule dump are mostly never looked at (a packet walks KUBE-SERVICES and a
 * few chains), and building and holding them all is most of the parse time and memory.
 */
class MatchReader {
  private readonly words = new Words();
  /** Warnings were reported by the parse; a second reading stays silent. */
  private readonly context = new LineContext(new Warnings(0));
  private readonly scanner: LineScanner;

  constructor(
    text: string,
    private readonly cache: WordCache,
  ) {
    this.scanner = new LineScanner(text);
  }

  /** The matches of the rule whose words are text[start, end). */
  read(start: number, end: number): IptMatch[] {
    tokenize(this.scanner, this.cache, start, end, this.words);
    return buildRule(this.words, this.context, true)?.matches ?? NO_MATCHES;
  }
}

/**
 * An IptRule whose `matches` are read from `raw` on first access and then kept. Every other field
 * is a plain own property. Use it through property access: `{ ...rule }` or structuredClone would
 * not carry `matches` (JSON.stringify does, through toJSON).
 */
class SavedRule implements IptRule {
  readonly table: string;
  readonly chain: string;
  readonly position: number;
  readonly target: IptTarget | null;
  readonly goto: boolean;
  declare readonly counters?: { packets: number; bytes: number };
  readonly raw: string;
  readonly line: number;
  #matches: IptMatch[] | undefined;
  readonly #reader: MatchReader;
  readonly #start: number;
  readonly #end: number;

  constructor(
    reader: MatchReader,
    start: number,
    end: number,
    fields: {
      table: string;
      chain: string;
      position: number;
      target: IptTarget | null;
      goto: boolean;
      raw: string;
      line: number;
    },
    counters: { packets: number; bytes: number } | undefined,
  ) {
    this.table = fields.table;
    this.chain = fields.chain;
    this.position = fields.position;
    this.target = fields.target;
    this.goto = fields.goto;
    if (counters !== undefined) (this as { counters?: { packets: number; bytes: number } }).counters = counters;
    this.raw = fields.raw;
    this.line = fields.line;
    this.#reader = reader;
    this.#start = start;
    this.#end = end;
  }

  get matches(): IptMatch[] {
    this.#matches ??= this.#reader.read(this.#start, this.#end);
    return this.#matches;
  }

  toJSON(): IptRule {
    const { table, chain, position, matches, target, goto, counters, raw, line } = this;
    return counters === undefined
      ? { table, chain, position, matches, target, goto, raw, line }
      : { table, chain, position, matches, target, goto, counters, raw, line };
  }
}

function parseCount(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s.length > 20) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}

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

// ---------------------------------------------------------------- lines

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
