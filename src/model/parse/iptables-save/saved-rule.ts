// Rules whose matches are read on demand. A 10k-service kube-proxy node has ~110k rules (~16 MB):
// the parse reads every rule completely (so every warning is reported) but keeps only its
// target; the matches are read again from the line when first asked for, and the pieces many
// rules share are shared (see `npm run bench`).
import type { IptMatch, IptRule, IptTarget } from '../../types.ts';
import { Warnings } from '../warnings.ts';
import { buildRule, LineContext, NO_MATCHES } from './rule-words.ts';
import { LineScanner, tokenize, type WordCache, Words } from './tokenizer.ts';

/**
 * Reads a rule's matches again from its line, when they are first asked for. The parse itself
 * reads every rule completely (so every warning is in Parsed.warnings) but keeps only the target;
 * the matches of a 100k-rule dump are mostly never looked at (a packet walks KUBE-SERVICES and a
 * few chains), and building and holding them all is most of the parse time and memory.
 */
export class MatchReader {
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
 * What a rule line says apart from its counters and place: table, chain, target, and its matches
 * read on first access and then kept. Hosts whose rule lines are the same text (a v2 snapshot's
 * shared pieces) share one core; `text` is the line, with "[]" where a lifted counter was.
 */
export class RuleCore {
  #matches: IptMatch[] | undefined;
  /** The rule shared between hosts at each position this line holds in its chain (sharedAt). */
  #at: SavedRule | Map<number, SavedRule> | undefined;

  constructor(
    private readonly reader: MatchReader,
    private readonly start: number,
    private readonly end: number,
    readonly table: string,
    readonly chain: string,
    readonly target: IptTarget | null,
    readonly goto: boolean,
    readonly text: string,
  ) {}

  get matches(): IptMatch[] {
    this.#matches ??= this.reader.read(this.start, this.end);
    return this.#matches;
  }

  /**
   * This line as rule `position` of its chain, one object for every host that holds it there
   * (no line number, no counters: each host's ruleset says those, model/parse/iptables-shared.ts).
   */
  sharedAt(position: number): SavedRule {
    const at = this.#at;
    if (at instanceof SavedRule) {
      if (at.position === position) return at;
      this.#at = new Map([[at.position, at]]);
    } else if (at instanceof Map) {
      const r = at.get(position);
      if (r !== undefined) return r;
    }
    const r = new SavedRule(this, position, undefined, undefined);
    if (this.#at instanceof Map) this.#at.set(position, r);
    else this.#at = r;
    return r;
  }
}

/**
 * An IptRule: its core (shared where the text is) and its place and counters on one host. `raw`
 * is the core's text with this host's counters put back. Use it through property access:
 * `{ ...rule }` or structuredClone would carry only position, line and counters (JSON.stringify
 * carries everything, through toJSON).
 */
export class SavedRule implements IptRule {
  declare readonly counters?: { packets: number; bytes: number };
  readonly #core: RuleCore;
  /** The counter lifted from the front of the line ("p:b", "0" for 0:0), for `raw`. */
  readonly #lifted: string | undefined;

  constructor(
    core: RuleCore,
    readonly position: number,
    readonly line: number | undefined,
    counters: { packets: number; bytes: number } | undefined,
    lifted?: string,
  ) {
    this.#core = core;
    this.#lifted = lifted;
    if (counters !== undefined) (this as { counters?: { packets: number; bytes: number } }).counters = counters;
  }

  get table(): string {
    return this.#core.table;
  }
  get chain(): string {
    return this.#core.chain;
  }
  get target(): IptTarget | null {
    return this.#core.target;
  }
  get goto(): boolean {
    return this.#core.goto;
  }
  get matches(): IptMatch[] {
    return this.#core.matches;
  }
  get raw(): string {
    const t = this.#core.text;
    if (this.#lifted !== undefined) return `[${this.#lifted === '0' ? '0:0' : this.#lifted}]${t.slice(2)}`;
    // A shared rule (no line number) says its line without the lifted counter's "[] ".
    return this.line === undefined && t.startsWith('[] ') ? t.slice(3) : t;
  }

  /** The line with `lifted` ("p:b", "0") put back where the counter was lifted from, as a host printed it. */
  printedWith(lifted: string): string {
    const t = this.#core.text;
    return t.startsWith('[]') ? `[${lifted === '0' ? '0:0' : lifted}]${t.slice(2)}` : t;
  }

  /**
   * What `rule` has in common with the same line on other hosts (its core), for caches of what
   * depends only on the rule's text (engine/netfilter/compile.ts); a rule built by hand is its own.
   */
  static shared(rule: IptRule): object {
    return rule instanceof SavedRule ? rule.#core : rule;
  }

  toJSON(): IptRule {
    const { table, chain, position, matches, target, goto, counters, raw, line } = this;
    return {
      table,
      chain,
      position,
      matches,
      target,
      goto,
      ...(counters === undefined ? {} : { counters }),
      raw,
      ...(line === undefined ? {} : { line }),
    };
  }
}
