// Parser warnings with a ceiling: a garbage section (10 MB of random bytes) must not turn into a
// million warnings. The first MAX are kept verbatim, the rest are counted in one closing line.

const MAX_WARNINGS = 50;

export class Warnings {
  private readonly list: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.list.length < MAX_WARNINGS) this.list.push(message);
    else this.dropped++;
  }

  /** The warnings, with a last line saying how many more were left out. */
  done(): string[] {
    return this.dropped === 0 ? [...this.list] : [...this.list, `… and ${this.dropped} more warnings`];
  }
}

/** Shortens text quoted in a warning, so a 10 MB line does not land in the report. */
export function quote(text: string, max = 80): string {
  const oneLine = text.slice(0, max * 4).replace(/\s+/g, ' ');
  const cut = oneLine.length > max || text.length > max * 4;
  return JSON.stringify(cut ? `${oneLine.slice(0, max)}…` : oneLine);
}
