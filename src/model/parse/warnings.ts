// Parser warnings with a ceiling: a hostile or corrupted section (10 MB of random bytes, a
// million garbage lines) must not turn the warning list itself into the problem. The first
// `max` are kept verbatim, the rest are counted in one closing line.

const DEFAULT_MAX_WARNINGS = 50;
const EXCERPT_CHARS = 120;

export class Warnings {
  private readonly list: string[] = [];
  private dropped = 0;

  constructor(private readonly max: number = DEFAULT_MAX_WARNINGS) {}

  add(message: string): void {
    if (this.list.length < this.max) this.list.push(message);
    else this.dropped++;
  }

  /** Warning for a 1-based line number. */
  atLine(line: number, message: string): void {
    this.add(`line ${line}: ${message}`);
  }

  get count(): number {
    return this.list.length + this.dropped;
  }

  /** The warnings, with a last line saying how many more were left out. */
  done(): string[] {
    return this.dropped === 0 ? [...this.list] : [...this.list, `… and ${this.dropped} more warnings`];
  }
}

/** Shortens text quoted in a warning, on one line, so a 10 MB line does not land in the report. */
export function quote(text: string, max = 80): string {
  const oneLine = text.slice(0, max * 4).replace(/\s+/g, ' ');
  const cut = oneLine.length > max || text.length > max * 4;
  return JSON.stringify(cut ? `${oneLine.slice(0, max)}…` : oneLine);
}

/** A line shortened for a warning message, control characters made visible, whitespace kept. */
export function excerpt(text: string, max: number = EXCERPT_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
