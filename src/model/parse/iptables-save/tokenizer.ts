// Splits one iptables-save rule line into words exactly as iptables-restore reads it back:
// a port of iptables/xshared.c add_param_to_argv(). A `"` opens a quoted part anywhere in a word,
// inside quotes a backslash escapes the next character, the closing quote ends the word, and
// spaces/tabs separate words. iptables-save quotes a value only when it holds more than
// [A-Za-z0-9_-] (libxtables/xtables.c xtables_save_string(): `"`, `\` and `'` escaped), so
// nearly every word takes the fast path.

/**
 * Most words we read from one rule line. iptables-restore itself refuses lines of more than 255
 * words (iptables/xshared.h MAX_ARGC); this is far above that and only bounds the work a hostile
 * line can cause.
 */
export const MAX_WORDS_PER_LINE = 4096;

/** Words of one line, reused from line to line to keep allocation down on 100k-rule dumps. */
export class Words {
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

export const SPACE = 32;
export const TAB = 9;
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
export class TextScanner implements Scanner {
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
export class LineScanner implements Scanner {
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
export class WordCache {
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
export const WORD_CACHE_MAX_LENGTH = 20;

/**
 * Splits text[start, end) into words the way iptables-restore's add_param_to_argv() does.
 * Works on the whole text rather than a line copy: charCodeAt on the flat input is the fast path.
 */
export function tokenize(scan: Scanner, cache: WordCache, start: number, end: number, out: Words): void {
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
export function isOptionWord(word: string, quoted: boolean): boolean {
  if (quoted || word.length < 2 || word.charCodeAt(0) !== 45 /* - */) return false;
  const c1 = word.charCodeAt(1);
  // "-1" is a negative number, an argument.
  return !(c1 >= 48 && c1 <= 57);
}
