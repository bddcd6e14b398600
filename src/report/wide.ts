// -o wide: every hop and hook the engine walked, one row each, with the lines that decided it.
// Nothing is truncated: a token longer than the line overflows rather than being cut.
import type { Paint } from './colour.ts';
import type { TraceDoc } from './document.ts';
import { evidenceLines, rowLayout, rowLines } from './row-layout.ts';
import { decisiveHop } from './segments.ts';
import { joinParts, padEnd, textWidth } from './text-layout.ts';
import { headingParts } from './trace-heading.ts';

const GAP = '  ';
const OPTS = { longTokens: 'overflow' } as const;

/** --active: what a capture on the hop's device said; the other hops are only predicted. */
const OBSERVED = { captured: '✔ captured', 'not-captured': '✘ missed', unknown: '? unknown' } as const;

export function wideTrace(t: TraceDoc, p: Paint, width: number): string[] {
  const decisive = decisiveHop(t);
  const observed = t.hops.some((h) => h.observed !== undefined);
  const seen = (h: TraceDoc['hops'][number]) =>
    observed ? `${GAP}${h.observed !== undefined ? OBSERVED[h.observed] : 'predicted'}` : '';
  const w = {
    n: String(t.hops.length).length,
    node: Math.max(...t.hops.map((h) => textWidth(h.node)), 4),
    dev: Math.max(...t.hops.map((h) => textWidth(h.device ?? '')), 6),
    step: Math.max(...t.hops.map((h) => textWidth(h.step)), 4),
    seen: observed ? 10 : 0,
  };
  const cells = (n: string, node: string, dev: string, step: string, obs = '') =>
    `${padEnd(n, w.n)}${GAP}${padEnd(node, w.node)}${GAP}${padEnd(dev, w.dev)}${GAP}${padEnd(step, w.step)}${observed ? padEnd(obs, w.seen + GAP.length) : ''}`;
  const layout = rowLayout(width, textWidth(cells('', '', '', '')), w.n + GAP.length, OPTS);
  const out = joinParts(headingParts(t), width, '  ', OPTS).map((l) => p.bold(l));
  out.push(
    p.dim(
      rowLines(cells('#', 'node', 'device', 'step', observed ? `${GAP}observed` : ''), 'what happened', layout)[0]!,
    ),
  );
  t.hops.forEach((h, i) => {
    const tone = h !== decisive ? (l: string) => l : t.verdict === 'unknown' ? p.yellow : p.red;
    out.push(...rowLines(cells(String(i + 1), h.node, h.device ?? '', h.step, seen(h)), h.detail, layout).map(tone));
    out.push(...evidenceLines(h.evidence, layout).map((l) => p.dim(l)));
  });
  return out;
}
