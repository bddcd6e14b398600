// The words of one rule line → matches and a target. iptables-save prints the core matches first
// (-s -d -i -o -p -f, iptables/xshared.c save_rule_details/print_ifaces...), then each
// "-m NAME" with its options, then "-j TARGET options" or "-g CHAIN". A "!" before an option
// negates it. Hand-written restore files may reorder these (kube-proxy's own test fixtures write
// "-m tcp -p tcp -d IP --dport 80"): options go to the "-m" match before them, except that
// protocol options (--dport, --tcp-flags...) go to the protocol's match, explicit or loaded by
// "-p tcp", because iptables resolves an option by name, not by position.
import type { IptMatch, IptOption, IptTarget } from '../../types.ts';
import { clip, excerpt, type Warnings } from '../warnings.ts';
import { isOptionWord, WORD_CACHE_MAX_LENGTH, type Words } from './tokenizer.ts';

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

export interface RuleParts {
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
export class LineContext {
  lineNo = 0;
  table = '';
  private readonly bareMatches = new Map<string | null, IptMatch>();
  private readonly bareTargets = new Map<string, IptTarget>();

  /** The chain name of the rule before: iptables-save prints a chain's rules together. */
  private lastChain = '';

  /** Where warnings go: swapped by a parse that records them once for many hosts. */
  constructor(public list: Warnings) {}

  /**
   * `name` (a rule's chain), as the same string the rule before had when it is the same chain:
   * most chain names (KUBE-SVC-…, 25 characters) are too long for the word cache, and one string
   * a rule is ~3 MB more that the scavenger copies at 10k Services.
   */
  chainName(name: string): string {
    if (name === this.lastChain) return this.lastChain;
    this.lastChain = name;
    return name;
  }

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
export function buildRule(w: Words, out: LineContext, keepMatches: boolean): RuleParts | undefined {
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

export const NO_MATCHES: IptMatch[] = Object.freeze([]) as unknown as IptMatch[];

export function parseCount(s: string | undefined): number | undefined {
  if (s === undefined || s.length === 0 || s.length > 20) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(s);
}
