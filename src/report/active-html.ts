// `--active` in -o html: what was sent, where each probe was captured on its predicted path and
// where it was lost, in the words of the text report (src/report/active.ts); the findings the
// observations support are in the page's findings, each probe row names those that quote it.
import type { ReportDoc } from './document.ts';
import { PROBE_MARK, activeHeading, pointWords, probeLine } from './active.ts';
import { xml } from './svg.ts';

export const ACTIVE_STYLE = `
table.probes{border-collapse:collapse;font-size:12px;margin:6px 0}
table.probes td,table.probes th{border-bottom:1px solid #eaeef2;padding:2px 8px;text-align:left;vertical-align:top}
table.probes tr.lost td.state,table.probes tr.not-left td.state,table.probes tr.unanswered td.state{color:#cf222e;font-weight:600}
table.probes tr.refused td.state{color:#9a6700;font-weight:600}
table.probes tr.unknown td.state{color:#6e7781;font-weight:600}
table.probes tr.arrived td.state{color:#1a7f37}
.pt{white-space:nowrap;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.pt.not-captured{color:#cf222e;font-weight:600}.pt.unknown{color:#6e7781}
`;

type Active = NonNullable<ReportDoc['active']>;

function row(x: Active['probes'][number], quotedBy: readonly string[]): string {
  const path = x.path.map((pt) => `<span class="pt ${xml(pt.state)}">${xml(pointWords(pt))}</span>`).join(' → ');
  const result = `${PROBE_MARK[x.state]} ${x.state}${x.why !== undefined ? `: ${x.why}` : ''}`;
  const findings = quotedBy.length > 0 ? ` (finding ${quotedBy.map((f) => `<code>${xml(f)}</code>`).join(', ')})` : '';
  return `<tr class="${xml(x.state)}" data-probe="${x.id}"><td>${xml(probeLine(x))}</td><td>${path}</td><td class="state">${xml(result)}${findings}</td></tr>`;
}

/** The page's active section; empty when the report has no --active part. */
export function activeHtml(doc: ReportDoc): string {
  const a = doc.active;
  if (a === undefined) return '';
  // A finding quotes a probe in its evidence as "probe N: ...".
  const quoting = (id: number) => [
    ...new Set(doc.findings.filter((f) => f.evidence.some((e) => e.startsWith(`probe ${id}:`))).map((f) => f.id)),
  ];
  return [
    `<section class="active"><h2>${xml(activeHeading(a))}</h2>`,
    a.probes.length > 0
      ? `<table class="probes"><thead><tr><th>sent</th><th>captured on the predicted path</th><th>result</th></tr></thead><tbody>${a.probes.map((x) => row(x, quoting(x.id))).join('')}</tbody></table>`
      : '',
    ...a.skipped.map((s) => `<p class="note">not probed: ${xml(s)}</p>`),
    '</section>',
  ].join('\n');
}
