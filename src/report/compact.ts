// The default path view: one line per node crossed (in → out device, the rewrite and the decision
// that matters there), accepted hooks folded, the decisive hop in red with the lines that decided
// it. In the spirit of mtr and kubectl get: read at a glance, every token copyable.
import type { Paint } from './colour.ts';
import type { TraceDoc } from './document.ts';
import { evidenceLines, rowLayout, rowLines } from './row-layout.ts';
import type { Segment } from './segments.ts';
import { decisiveLabel, segments, unnest } from './segments.ts';
import { joinParts, padEnd, textWidth } from './text-layout.ts';
import { headingParts } from './trace-heading.ts';

const GAP = '  ';
const OPTS = { longTokens: 'truncate' } as const;

function devices(s: Segment): string {
  const inDev = s.inDevice ?? '·';
  // Where it ended: after the device a route chose, if one did before the end.
  if (s.decisive !== undefined)
    return `${inDev}${s.outDevice !== undefined ? ` → ${s.outDevice}` : ''} ${s.ending === 'unknown' ? '?' : '✘'}`;
  return `${inDev} → ${s.outDevice ?? '·'}`;
}

function whatHappens(s: Segment, prev: Segment | undefined): string {
  const parts: string[] = [];
  // The tunnel is named on the row that sent into it; say it here only when that row is not shown.
  if (s.tunnelIn !== undefined && prev?.tunnelOut === undefined) parts.push(`from ${s.tunnelIn.text}`);
  parts.push(...s.rewrites);
  if (s.onward !== undefined && s.onward !== 'local') parts.push(s.onward);
  if (s.tunnelOut !== undefined)
    parts.push(`${s.tunnelOut.text}${s.tunnelOut.device !== undefined ? ` out ${s.tunnelOut.device}` : ''}`);
  if (s.decisive !== undefined) parts.push(`${decisiveLabel(s.decisive)}: ${unnest(s.decisive.detail)}`);
  return parts.join('; ');
}

export function compactTrace(t: TraceDoc, p: Paint, width: number): string[] {
  const segs = segments(t);
  const rows = segs.map((s, i) => ({
    n: String(i + 1),
    node: s.node,
    dev: devices(s),
    what: whatHappens(s, segs[i - 1]),
    s,
  }));
  const w = {
    n: Math.max(...rows.map((r) => r.n.length), 1),
    node: Math.max(...rows.map((r) => textWidth(r.node)), 4),
    dev: Math.max(...rows.map((r) => textWidth(r.dev)), 8),
  };
  const cells = (n: string, node: string, dev: string) =>
    `${padEnd(n, w.n)}${GAP}${padEnd(node, w.node)}${GAP}${padEnd(dev, w.dev)}`;
  const layout = rowLayout(width, textWidth(cells('', '', '')), w.n + GAP.length, OPTS);
  const out = joinParts(headingParts(t), width, '  ', OPTS).map((l) => p.bold(l));
  out.push(p.dim(rowLines(cells('#', 'node', 'in → out'), 'what happens', layout)[0]!));
  for (const r of rows) {
    const tone = r.s.decisive === undefined ? (l: string) => l : r.s.ending === 'unknown' ? p.yellow : p.red;
    out.push(...rowLines(cells(r.n, r.node, r.dev), r.what, layout).map(tone));
    out.push(...evidenceLines(r.s.decisive?.evidence, layout).map((l) => p.dim(l)));
  }
  return out;
}
