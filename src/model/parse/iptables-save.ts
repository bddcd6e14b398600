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
// "-m tcp -p tcp -d IP --dport 80"); an option that follows a core option is given to the most
// recent "-m" match (iptables resolves options by name, not position), or to the implicit
// protocol match that "-p tcp" loads, as iptables does.

import type { IptablesBackend, IptChain, IptMatch, IptOption, IptRule, IptRuleset, IptTable, IptTarget, Parsed } from '../types.ts';
import { forEachLine } from './lines.ts';
import { excerpt, Warnings } from './warnings.ts';

const CORE_LONG: Readonly<Record<string, string>> = {
  source: 's',
  src: 's',
  destination: 'd',
  dst: 'd',
  'in-interface': 'i',
  'out-interface': 'o',
  protocol: 'p',
  fragment: 'f',
};

/** Core options and how many arguments each takes (iptables/xshared.c, "-f" takes none). */
const CORE_ARITY: Readonly<Record<string, number>> = { s: 1, d: 1, i: 1, o: 1, p: 1, f: 0 };

/**
 * Options whose single argument is free text. xtables_save_string() prints such a value bare when
 * it is made of [A-Za-z0-9_-] only, so "--comment -x" is possible: the argument must be taken
 * even though it looks like an option.
 */
const FREE_TEXT_OPTIONS: ReadonlySet<string> = new Set(['comment', 'log-prefix', 'nflog-prefix', 'name', 'helper', 'set-class']);

/** Protocols for which "-p PROTO" loads a match of the same name (iptables/xshared.c load_proto). */
const IMPLICIT_PROTO_MATCHES: ReadonlySet<string> = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'ipv6-icmp', 'mh']);

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

/** Words of one line, reused from line to line to keep allocation down on 100k-rule dumps. */
class Words {
  text: string[] = [];
  quoted: boolean[] = [];
  n = 0;
  /** False when the line ended inside an open quote. */
  balanced = true;

  reset(): void {
    this.n = 0;
    this.balanced = true;
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

/** Splits `line` from `start` into words the way iptables-restore's add_param_to_argv() does. */
function tokenize(line: string, start: number, out: Words): void {
  out.reset();
  const len = line.length;
  let i = start;
  while (i < len) {
    let c = line.charCodeAt(i);
    if (c === SPACE || c === TAB) {
      i++;
      continue;
    }
    // Fast path: a bare word without quotes, which is nearly every word iptables-save prints.
    let j = i;
    while (j < len) {
      c = line.charCodeAt(j);
      if (c === SPACE || c === TAB || c === QUOTE) break;
      j++;
    }
    if (j === len || c !== QUOTE) {
      out.push(line.slice(i, j), false);
      i = j;
      continue;
    }
    // A quote inside or at the start of the word: "abc"def is two words, abc"d e" is one.
    let word = line.slice(i, j);
    i = j + 1;
    let closed = false;
    while (i < len) {
      const q = line.indexOf('"', i);
      const b = line.indexOf('\\', i);
      if (q === -1) break;
      if (b !== -1 && b < q) {
        word += line.slice(i, b);
        if (b + 1 < len) word += line[b + 1];
        i = b + 2;
        continue;
      }
      word += line.slice(i, q);
      i = q + 1;
      closed = true;
      break;
    }
    if (!closed) {
      // Unbalanced quote: iptables-restore rejects the line; keep what we read and say so.
      word += unescapeRest(line, i);
      out.push(word, true);
      out.balanced = false;
      return;
    }
    out.push(word, true);
  }
}

function unescapeRest(line: string, from: number): string {
  let s = '';
  for (let i = from; i < line.length; i++) {
    if (line.charCodeAt(i) === BACKSLASH && i + 1 < line.length) i++;
    s += line[i];
  }
  return s;
}

/** Is this word an option name (unquoted "-x" / "--xyz"), as opposed to an argument? */
function isOptionWord(word: string, quoted: boolean): boolean {
  if (quoted || word.length < 2 || word.charCodeAt(0) !== 45 /* - */) return false;
  const c1 = word.charCodeAt(1);
  // "-1" is a negative number argument (e.g. --log-level -1 is not printed, but be safe).
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

/** What the options that follow belong to. */
type Context = { kind: 'core' } | { kind: 'match'; match: IptMatch } | { kind: 'target'; target: IptTarget } | { kind: 'none' };

/**
 * Turns the words of a rule line (starting at "-A") into matches and a target. Never throws:
 * problems are reported through `warn` and the rule keeps what could be read.
 */
function buildRule(w: Words, warn: (msg: string) => void): RuleParts | undefined {
  if (w.n < 2 || w.quoted[0] || (w.text[0] !== '-A' && w.text[0] !== '--append')) {
    warn(`not a rule: expected "-A CHAIN", found ${excerpt(w.n > 0 ? (w.text[0] ?? '') : '')}`);
    return undefined;
  }
  const parts: RuleParts = { chain: w.text[1] ?? '', matches: [], target: null, goto: false };
  let core: IptMatch | null = null;
  let lastModule: IptMatch | null = null;
  let protocol: string | null = null;
  let ctx: Context = { kind: 'none' };
  let pendingNegation = false;
  let lastOption: IptOption | null = null;

  const coreMatch = (): IptMatch => {
    if (core === null) {
      core = { module: null, options: [] };
      parts.matches.push(core);
    }
    return core;
  };

  const takeNegation = (what: string): boolean => {
    const neg = pendingNegation;
    pendingNegation = false;
    if (neg && what !== '') warn(`"!" before ${what} cannot be negated; ignored`);
    return neg;
  };

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
        warn('"!" with nothing to negate; ignored');
      }
      k++;
      continue;
    }
    if (!isOptionWord(word, quoted)) {
      // An argument with no option before it.
      if (lastOption !== null) lastOption.args.push(word);
      else warn(`stray argument ${excerpt(word)}; ignored`);
      k++;
      continue;
    }

    const long = word.charCodeAt(1) === 45;
    const name = long ? word.slice(2) : word.slice(1);

    if (name === 'm' || name === 'match') {
      takeNegation('-m');
      const module = w.text[k + 1];
      if (module === undefined) {
        warn(`"${word}" without a match name`);
        break;
      }
      const m: IptMatch = { module, options: [] };
      parts.matches.push(m);
      lastModule = m;
      ctx = { kind: 'match', match: m };
      lastOption = null;
      k += 2;
      continue;
    }
    if (name === 'j' || name === 'jump' || name === 'g' || name === 'goto') {
      takeNegation(word);
      const tname = w.text[k + 1];
      if (tname === undefined) {
        warn(`"${word}" without a target`);
        break;
      }
      if (parts.target !== null) warn(`second target ${excerpt(tname)}; it replaces ${excerpt(parts.target.name)}`);
      const t: IptTarget = { name: tname, options: [] };
      parts.target = t;
      parts.goto = name === 'g' || name === 'goto';
      ctx = { kind: 'target', target: t };
      lastOption = null;
      k += 2;
      continue;
    }
    if (name === 'c' || name === 'set-counters') {
      // iptables-restore also accepts "-c PACKETS BYTES" inside the rule.
      const p = parseCount(w.text[k + 1]);
      const b = parseCount(w.text[k + 2]);
      if (p !== undefined && b !== undefined) parts.counters = { packets: p, bytes: b };
      else warn(`bad counters after "${word}"`);
      k += 3;
      continue;
    }

    const coreName = long ? CORE_LONG[name] : name.length === 1 && CORE_ARITY[name] !== undefined ? name : undefined;
    if (coreName !== undefined) {
      const opt: IptOption = { name: coreName, negated: takeNegation(''), args: [] };
      const arity = CORE_ARITY[coreName] ?? 0;
      k++;
      if (arity > 0 && w.text[k] === '!' && !w.quoted[k]) {
        // Old iptables (< 1.4.3) printed "-s ! 10.0.0.0/8".
        opt.negated = true;
        k++;
      }
      let a = 0;
      while (a < arity && k < w.n) {
        opt.args.push(w.text[k] as string);
        a++;
        k++;
      }
      if (a < arity) warn(`"${word}" without its argument`);
      coreMatch().options.push(opt);
      if (coreName === 'p') protocol = opt.args[0] ?? null;
      ctx = { kind: 'core' };
      lastOption = null; // the core option's argument count is fixed
      continue;
    }

    if (!long) {
      warn(`unknown option "${word}"`);
    }

    const opt: IptOption = { name, negated: takeNegation(''), args: [] };
    k++;
    if (FREE_TEXT_OPTIONS.has(name) && k < w.n) {
      opt.args.push(w.text[k] as string);
      k++;
    } else {
      while (k < w.n && !isOptionWord(w.text[k] as string, w.quoted[k] as boolean) && !(w.text[k] === '!' && !w.quoted[k])) {
        opt.args.push(w.text[k] as string);
        k++;
      }
    }
    lastOption = opt;

    const proto = protocol;
    if (
      proto !== null &&
      IMPLICIT_PROTO_MATCHES.has(proto) &&
      PROTO_MATCH_OPTIONS.has(name) &&
      ctx.kind !== 'target' &&
      !(ctx.kind === 'match' && ctx.match.module === proto)
    ) {
      // "-p tcp --dport 80": the option belongs to the tcp match, explicit or loaded implicitly
      // by -p (iptables/xshared.c load_proto).
      let m: IptMatch | undefined = parts.matches.find((x) => x.module === proto);
      if (m === undefined) {
        m = { module: proto, options: [] };
        parts.matches.push(m);
      }
      m.options.push(opt);
      lastModule = m;
      ctx = { kind: 'match', match: m };
    } else if (ctx.kind === 'match') ctx.match.options.push(opt);
    else if (ctx.kind === 'target') ctx.target.options.push(opt);
    else if (lastModule !== null) lastModule.options.push(opt);
    else {
      warn(`option "${word}" belongs to no match or target; kept with the core matches`);
      coreMatch().options.push(opt);
    }
  }
  if (pendingNegation) warn('"!" at the end of the rule; ignored');
  return parts;
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

  let table: IptTable | null = null;
  let tableLine = 0;

  const closeUnterminated = (why: string): void => {
    if (table !== null) warnings.atLine(tableLine, `table ${table.name} has no COMMIT (${why}); kept as read`);
  };

  forEachLine(text, (line, lineNo) => {
    let s = 0;
    while (s < line.length && (line.charCodeAt(s) === SPACE || line.charCodeAt(s) === TAB)) s++;
    if (s === line.length) return;
    const first = line[s];

    if (first === '#') {
      if (line.includes(LEGACY_WARNING)) {
        warnings.atLine(lineNo, 'iptables-nft-save reports iptables-legacy tables too: rules are split between both backends');
      } else if (line.includes('incompatible')) {
        // xtables-save.c: "# Table `%s' contains incompatible base-chains, use 'nft' tool to list
        // them." (older: "... is incompatible, use 'nft' tool.") — the table holds chains or
        // rules iptables-nft cannot show; only `nft -j list ruleset` has them.
        warnings.atLine(lineNo, `${line.slice(s + 1).trim()} — its rules are not in this dump`);
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
        warnings.atLine(lineNo, `table ${name} appears twice; the later one replaces the earlier, as iptables-restore would`);
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
        warnings.atLine(lineNo, `chain ${header.name} declared twice in table ${table.name}; the first header is kept`);
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
      tokenize(line, from, words);
      if (!words.balanced) warnings.atLine(lineNo, `unbalanced quote in ${excerpt(line)}`);
      const t: IptTable = table;
      const parts = buildRule(words, (msg) => warnings.atLine(lineNo, `${msg} (table ${t.name})`));
      if (parts === undefined) return;
      let chain = t.chains.get(parts.chain);
      if (chain === undefined) {
        warnings.atLine(lineNo, `rule for chain ${excerpt(parts.chain)} which has no ":${parts.chain}" header in table ${t.name}`);
        chain = { name: parts.chain, policy: null, rules: [], raw: '' } satisfies IptChain;
        t.chains.set(parts.chain, chain);
      }
      const rule: IptRule = {
        table: t.name,
        chain: parts.chain,
        position: chain.rules.length + 1,
        matches: parts.matches,
        target: parts.target,
        goto: parts.goto,
        raw: line,
        line: lineNo,
      };
      const c = counters ?? parts.counters;
      if (c !== undefined) rule.counters = c;
      chain.rules.push(rule);
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
