// One row of a path view: fixed cells (never wrapped) and a text column that takes the rest of
// the line, wrapped at spaces; on a narrow terminal the text goes under the cells instead.
import type { WrapOptions } from './text-layout.ts';
import { hanging } from './text-layout.ts';

/** Below this many columns for the text, it goes on its own lines under the cells. */
const MIN_TEXT = 40;
/** Evidence (raw lines) stays under the text column only while it has this much room. */
const MIN_EVIDENCE = 60;
const GAP = '  ';

export interface RowLayout {
  width: number;
  narrow: boolean;
  textIndent: string;
  evidenceIndent: string;
  opts: WrapOptions;
}

/** `cellsWidth`: the columns the fixed cells take; `hanging`: the indent of a narrow row's text. */
export function rowLayout(width: number, cellsWidth: number, hangingIndent: number, opts: WrapOptions): RowLayout {
  const lead = cellsWidth + GAP.length;
  const narrow = width - lead < MIN_TEXT;
  const small = ' '.repeat(hangingIndent);
  return {
    width,
    narrow,
    textIndent: narrow ? small : ' '.repeat(lead),
    evidenceIndent: width - lead >= MIN_EVIDENCE ? ' '.repeat(lead) : small,
    opts,
  };
}

export function rowLines(cells: string, text: string, l: RowLayout): string[] {
  if (l.narrow)
    return [cells.trimEnd(), ...(text === '' ? [] : hanging(l.textIndent, text, l.width, l.textIndent, l.opts))];
  return hanging(`${cells}${GAP}`, text === '' ? '·' : text, l.width, l.textIndent, l.opts);
}

/** The raw lines that decided a hop, one per line, marked off by a bar. */
export function evidenceLines(evidence: string | undefined, l: RowLayout): string[] {
  const i = l.evidenceIndent;
  return (evidence?.split('\n') ?? []).flatMap((e) => hanging(`${i}│ `, e, l.width, `${i}│   `, l.opts));
}
