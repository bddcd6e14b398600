// The line above each trace: which flow, which direction, how it ended and where.
import type { TraceDoc } from './document.ts';

export function traceOutcome(t: TraceDoc): string {
  const where = t.hops.at(-1)?.node;
  const at = where !== undefined ? ` on ${where}` : '';
  switch (t.verdict) {
    case 'delivered':
      return `✔ delivered${t.deliveredTo !== undefined ? ` to ${t.deliveredTo}` : ''}`;
    case 'dropped':
      return `✘ dropped${at}`;
    case 'rejected':
      return `✘ rejected${at}`;
    case 'no-route':
      return `✘ no route${at}`;
    case 'unknown':
      return `? unknown${where !== undefined ? ` after ${where}` : ''}`;
  }
}

export function seenAsText(t: TraceDoc): string | undefined {
  const s = t.seenAs;
  if (s === undefined) return undefined;
  return `seen as ${s.src}${s.sport ? `:${s.sport}` : ''} → ${s.dst}${s.dport ? `:${s.dport}` : ''}`;
}

export function headingParts(t: TraceDoc): string[] {
  const parts = [`${t.flow} · ${t.direction}: ${traceOutcome(t)}`];
  const seen = seenAsText(t);
  if (seen !== undefined) parts.push(seen);
  if (t.branch !== undefined) parts.push(`branch: ${t.branch.join('; ')}`);
  return parts;
}

export function traceHeading(t: TraceDoc): string {
  return headingParts(t).join(' · ');
}
