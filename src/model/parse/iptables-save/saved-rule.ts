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
 * An IptRule whose `matches` are read from `raw` on first access and then kept. Every other field
 * is a plain own property. Use it through property access: `{ ...rule }` or structuredClone would
 * not carry `matches` (JSON.stringify does, through toJSON).
 */
export class SavedRule implements IptRule {
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
