// Plain-text layout for the terminal report: wrap at spaces, never inside a token (an address,
// a device name or a sysctl key must stay copyable), and truncate with … only where asked.

/** Columns a string takes on a terminal: one per code point (the report prints no wide glyphs). */
export function textWidth(s: string): number {
  return [...s].length;
}

export function padEnd(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - textWidth(s)));
}

/** Cut a string to `width` columns, ending in … when something was cut. */
export function truncate(s: string, width: number): string {
  const cps = [...s];
  if (cps.length <= width) return s;
  return `${cps.slice(0, Math.max(0, width - 1)).join('')}…`;
}

export interface WrapOptions {
  /** A token longer than the line: cut it with … (compact view) or let it overflow (wide view). */
  longTokens: 'truncate' | 'overflow';
}

/**
 * Lines of at most `width` columns (the first line `firstWidth`), broken at spaces only. Tokens
 * longer than a line are truncated or overflow, as asked; the full text stays in -o wide/json.
 */
export function wrap(text: string, width: number, opts: WrapOptions, firstWidth = width): string[] {
  const out: string[] = [];
  let line = '';
  const room = () => Math.max(1, out.length === 0 ? firstWidth : width);
  for (const raw of text.split(/[ \t]+/)) {
    if (raw === '') continue;
    if (line !== '' && textWidth(line) + 1 + textWidth(raw) > room()) {
      out.push(line);
      line = '';
    }
    const token = textWidth(raw) > room() && opts.longTokens === 'truncate' ? truncate(raw, room()) : raw;
    line = line === '' ? token : `${line} ${token}`;
  }
  out.push(line);
  return out;
}

/** `text` wrapped to `width`, the first line after `first`, the others indented by `rest`. */
export function hanging(first: string, text: string, width: number, rest: string, opts: WrapOptions): string[] {
  return wrap(text, width - textWidth(rest), opts, width - textWidth(first)).map(
    (l, i) => (i === 0 ? first : rest) + l,
  );
}

/**
 * Parts joined by " · ", a new line where the next part would not fit; a part longer than the
 * line is wrapped at spaces, its lines after the first indented by `rest`.
 */
export function joinParts(parts: readonly string[], width: number, rest: string, opts: WrapOptions): string[] {
  const out: string[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (last !== undefined && textWidth(last) + 3 + textWidth(part) <= width) out[out.length - 1] = `${last} · ${part}`;
    else out.push(...hanging(out.length === 0 ? '' : rest, part, width, rest, opts));
  }
  return out;
}
