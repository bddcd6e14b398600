// Parser warnings: what a parser could not read, with the line it came from. Capped, because a
// hostile or corrupted section (a 10 MB line of junk, a million garbage lines) must not turn the
// warning list itself into the problem.

const DEFAULT_MAX_WARNINGS = 200;
const EXCERPT_CHARS = 120;

export class WarningList {
  private readonly items: string[] = [];
  private dropped = 0;

  constructor(private readonly max: number = DEFAULT_MAX_WARNINGS) {}

  add(message: string): void {
    if (this.items.length < this.max) this.items.push(message);
    else this.dropped++;
  }

  /** Warning for a 1-based line number. */
  atLine(line: number, message: string): void {
    this.add(`line ${line}: ${message}`);
  }

  get count(): number {
    return this.items.length + this.dropped;
  }

  result(): string[] {
    return this.dropped > 0 ? [...this.items, `${this.dropped} more warnings not shown`] : [...this.items];
  }
}

/** A line shortened for a warning message, with control characters made visible. */
export function excerpt(text: string, max: number = EXCERPT_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** A name for a warning message, cut when a hostile input makes it enormous. */
export function clip(name: string, max = 64): string {
  return name.length > max ? `${name.slice(0, max)}…` : name;
}
