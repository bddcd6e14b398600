// The path of one trace as an SVG drawing: the two ends and every node crossed as boxes (devices
// in and out), arrows between them labelled with the tunnel and the address rewrites, and the drop
// marked in red with the rule or sysctl that decided it. Sizes are estimated from character counts
// (a monospace font), so no browser is needed to lay it out.
import type { TraceDoc } from './document.ts';
import type { Segment } from './segments.ts';
import { decisiveLabel, segments, unnest } from './segments.ts';
import { wrap } from './text-layout.ts';

const BOX_W = 190;
const GAP_W = 190;
const BOX_H = 78;
const MARGIN = 16;
const LINE = 15;
/** Advance of one character of the 12px monospace font, with a margin for wider fallbacks. */
const CHAR_PX = 7.6;
const CHARS_BOX = Math.floor((BOX_W - 14) / CHAR_PX);
const CHARS_GAP = Math.floor((GAP_W - 14) / CHAR_PX);
const CHARS_DROP = 64;
const OPTS = { longTokens: 'truncate' } as const;

export function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The two ends of a trace from its flow label ("A → B tcp/80"); a reply runs from B to A. */
export function traceEnds(t: TraceDoc): { from: string; to: string } {
  const [a = '?', b = '?'] = t.flow.replace(/ (tcp|udp|icmp)(\/\S+)?$/, '').split(' → ');
  const [from, to] = t.direction === 'reply' ? [b, a] : [a, b];
  return { from, to: t.verdict === 'delivered' ? (t.deliveredTo ?? to) : to };
}

function textLines(x: number, y: number, lines: readonly string[], cls: string, anchor = 'middle'): string {
  const spans = lines.map((l, i) => `<tspan x="${x}" dy="${i === 0 ? 0 : LINE}">${xml(l)}</tspan>`).join('');
  return `<text class="${cls}" x="${x}" y="${y}" text-anchor="${anchor}">${spans}</text>`;
}

function nodeBox(x: number, s: Segment, i: number, top: number): string {
  const bad = s.decisive !== undefined;
  const unknown = s.ending === 'unknown';
  const inDev = s.tunnelIn?.device !== undefined ? `${s.tunnelIn.device} ⇒ ${s.inDevice ?? '·'}` : (s.inDevice ?? '·');
  const outDev =
    s.tunnelOut?.device !== undefined ? `${s.outDevice ?? '·'} ⇒ ${s.tunnelOut.device}` : (s.outDevice ?? '·');
  const lines = [`in  ${inDev}`, bad ? ENDING_TEXT[s.ending ?? 'dropped'] : `out ${outDev}`];
  return [
    `<g class="node${bad ? (unknown ? ' stopped' : ' decisive') : ''}" data-node="${xml(s.node)}" data-segment="${i + 1}">`,
    `<rect x="${x}" y="${top}" width="${BOX_W}" height="${BOX_H}" rx="8"/>`,
    textLines(x + BOX_W / 2, top + 24, [s.node], 'name'),
    textLines(
      x + BOX_W / 2,
      top + 46,
      lines.map((l) => wrap(l, CHARS_BOX, OPTS)[0] ?? ''),
      'dev',
    ),
    '</g>',
  ].join('');
}

function endBox(x: number, label: string, cls: string, top: number): string {
  const lines = wrap(label, CHARS_BOX, OPTS).slice(0, 3);
  return [
    `<g class="end ${cls}" data-end="${xml(label)}">`,
    `<rect x="${x}" y="${top}" width="${BOX_W}" height="${BOX_H}" rx="${BOX_H / 2}"/>`,
    textLines(x + BOX_W / 2, top + BOX_H / 2 + 5 - ((lines.length - 1) * LINE) / 2, lines, 'name'),
    '</g>',
  ].join('');
}

/** The arrow leaving a box, with what happened to the packet on the way (tunnel, NAT). */
function arrowText(labels: readonly string[]): string[] {
  return labels.flatMap((l) => wrap(l, CHARS_GAP, OPTS)).slice(0, 6);
}

function arrow(x: number, text: readonly string[], cls: string, marker: string, top: number): string {
  const y = top + BOX_H / 2;
  return [
    `<g class="arrow ${cls}">`,
    `<line x1="${x + 4}" y1="${y}" x2="${x + GAP_W - 8}" y2="${y}" marker-end="url(#${marker})"/>`,
    text.length > 0 ? textLines(x + GAP_W / 2, y - 8 - (text.length - 1) * LINE, text, 'label') : '',
    '</g>',
  ].join('');
}

function arrowLabels(s: Segment, next: Segment | undefined): string[] {
  const out = [...s.rewrites];
  if (s.tunnelOut !== undefined) out.push(s.tunnelOut.text);
  else if (next?.tunnelIn !== undefined) out.push(next.tunnelIn.text);
  return out;
}

const ENDING_TEXT: Record<NonNullable<Segment['ending']>, string> = {
  dropped: 'dropped here',
  rejected: 'rejected here',
  'no-route': 'no route here',
  unknown: 'walk stopped here',
};

/**
 * The end of a trace that was not delivered: a red ✘ after the node that dropped it, or a grey ?
 * where the walk stopped on something not collected or not modelled (not a fault: unknown beats
 * wrong); the step and the lines that decided it below.
 */
function dropMark(x: number, s: Segment, top: number): { svg: string; height: number; right: number } {
  const h = s.decisive!;
  const cy = top + BOX_H / 2;
  const what = wrap(`${decisiveLabel(h)}: ${unnest(h.detail)}`, CHARS_DROP, OPTS).slice(0, 4);
  const evidence = (h.evidence?.split('\n') ?? []).flatMap((e) => wrap(e, CHARS_DROP, OPTS)).slice(0, 8);
  const y0 = top + BOX_H + 26;
  return {
    svg: [
      `<g class="${s.ending === 'unknown' ? 'stop' : 'drop'}" data-node="${xml(s.node)}" data-step="${xml(h.step)}" data-reason="${xml(h.reason?.kind ?? '')}">`,
      `<line x1="${x + 4}" y1="${cy}" x2="${x + 60}" y2="${cy}"/>`,
      `<circle cx="${x + 82}" cy="${cy}" r="20"/>`,
      textLines(x + 82, cy + 7, [s.ending === 'unknown' ? '?' : '✘'], 'cross'),
      textLines(x - BOX_W, y0, what, 'why', 'start'),
      textLines(x - BOX_W, y0 + what.length * LINE + 6, evidence, 'evidence', 'start'),
      '</g>',
    ].join(''),
    height: 26 + (what.length + evidence.length) * LINE + 16,
    right: x - BOX_W + CHARS_DROP * CHAR_PX,
  };
}

export function traceSvg(t: TraceDoc, id: string): string {
  const segs = segments(t);
  const ends = traceEnds(t);
  const labels = segs.map((s, i) => arrowText(arrowLabels(s, segs[i + 1])));
  // Room above the boxes for the tallest arrow label (it is drawn above its arrow).
  const top = MARGIN + Math.max(0, ...labels.map((l) => l.length - 2)) * LINE;
  const parts: string[] = [];
  let x = 8;
  parts.push(endBox(x, ends.from, 'from', top));
  x += BOX_W;
  parts.push(arrow(x, [], 'start', `${id}-head`, top));
  x += GAP_W;
  let extra = 0;
  let right = 0;
  segs.forEach((s, i) => {
    parts.push(nodeBox(x, s, i, top));
    x += BOX_W;
    if (s.decisive !== undefined) {
      const d = dropMark(x, s, top);
      parts.push(d.svg);
      extra = d.height;
      right = d.right;
      x += 120;
      return;
    }
    if (i < segs.length - 1 || t.verdict === 'delivered') {
      parts.push(arrow(x, labels[i] ?? [], i < segs.length - 1 ? 'hop' : 'end', `${id}-head`, top));
      x += GAP_W;
    }
  });
  if (t.verdict === 'delivered') {
    parts.push(endBox(x, ends.to, 'to', top));
    x += BOX_W;
  } else if (segs.every((s) => s.decisive === undefined)) {
    // Not delivered, yet no hop decided it (an unknown verdict): say where the walk stopped.
    parts.push(endBox(x, `${t.verdict}: ${ends.to}`, 'stop', top));
    x += BOX_W;
  }
  const width = Math.ceil(Math.max(x, right)) + 8;
  const height = top + BOX_H + Math.max(extra, 24);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="path" id="${xml(id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${xml(`${t.flow} ${t.direction}: ${t.verdict}`)}">`,
    `<defs><marker id="${xml(id)}-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
