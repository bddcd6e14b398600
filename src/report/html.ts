// -o html: one self-contained page (no script, no network, no external font or style) with the
// verdict, a drawing of each trace, every hop behind a fold, and the findings with evidence and
// fix: printable, and pasteable into an incident ticket.
import type { Finding } from '../checks/finding.ts';
import { ACTIVE_STYLE, activeHtml } from './active-html.ts';
import type { ReportDoc, TraceDoc } from './document.ts';
import { decisiveHop } from './segments.ts';
import { traceSvg, xml } from './svg.ts';
import { clusterLine, describeQuery, tracesToShow } from './table.ts';
import { traceHeading } from './trace-heading.ts';
import { verdictMark } from './verdict.ts';

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1b1f24;max-width:1400px}
h1{font-size:20px;margin:0 0 4px}
.verdict.ok{color:#1a7f37}.verdict.warn{color:#9a6700}.verdict.bad{color:#cf222e}.verdict.unknown{color:#6e7781}
.cluster,.note{color:#57606a}
section.trace{margin:20px 0;page-break-inside:avoid}
h2{font-size:15px;margin:0 0 6px}
.scroll{border:1px solid #d0d7de;border-radius:6px;padding:6px;background:#fff}
svg.path{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;max-width:100%;height:auto}
svg .node rect{fill:#f6f8fa;stroke:#57606a;stroke-width:1.5}
svg .node.decisive rect{fill:#ffebe9;stroke:#cf222e;stroke-width:2.5}
svg .end rect{fill:#ddf4ff;stroke:#0969da;stroke-width:1.5}
svg .end.stop rect{fill:#eaeef2;stroke:#6e7781;stroke-dasharray:4 3}
svg .name{font-weight:600;font-size:13px;fill:#1b1f24}
svg .dev{fill:#24292f}
svg .arrow line{stroke:#57606a;stroke-width:1.5}
svg marker path{fill:#57606a}
svg .label{fill:#6639ba}
svg .drop line{stroke:#cf222e;stroke-width:2}
svg .drop circle{fill:#cf222e}
svg .drop .cross{fill:#fff;font-size:20px;font-weight:700}
svg .drop .why{fill:#cf222e;font-weight:600}
svg .drop .evidence,svg .stop .evidence{fill:#57606a}
svg .node.stopped rect{fill:#fff8c5;stroke:#9a6700;stroke-width:2.5;stroke-dasharray:6 3}
svg .stop line{stroke:#9a6700;stroke-width:2;stroke-dasharray:4 3}
svg .stop circle{fill:#9a6700}
svg .stop .cross{fill:#fff;font-size:20px;font-weight:700}
svg .stop .why{fill:#7d4e00;font-weight:600}
table.hops{border-collapse:collapse;margin-top:6px;font-size:12px}
table.hops td,table.hops th{border-bottom:1px solid #eaeef2;padding:2px 8px;text-align:left;vertical-align:top}
table.hops tr.decisive td{color:#cf222e;font-weight:600}
table.hops tr.stopped td{color:#9a6700;font-weight:600}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px;white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere}
.finding{border-left:4px solid #d0d7de;padding:4px 12px;margin:12px 0}
.finding.critical,.finding.error{border-color:#cf222e}.finding.warning{border-color:#bf8700}.finding.info{border-color:#0969da}
.sev{font-weight:700;text-transform:uppercase}
@media print{body{margin:0}.scroll{border:none}}
`;

function hopsTable(t: TraceDoc): string {
  const last = decisiveHop(t);
  const rows = t.hops.map(
    (h, i) =>
      `<tr${h === last ? ` class="${t.verdict === 'unknown' ? 'stopped' : 'decisive'}"` : ''}><td>${i + 1}</td><td>${xml(h.node)}</td><td><code>${xml(h.device ?? '')}</code></td><td>${xml(h.step)}</td><td>${xml(h.detail)}${h.evidence !== undefined ? `<pre>${xml(h.evidence)}</pre>` : ''}</td></tr>`,
  );
  return `<details><summary>every hop (${t.hops.length})</summary><table class="hops"><thead><tr><th>#</th><th>node</th><th>device</th><th>step</th><th>what happened</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

function findingHtml(f: Finding): string {
  return [
    `<div class="finding ${f.severity}" data-finding="${xml(f.id)}">`,
    `<div><span class="sev">${xml(f.severity)}</span> <code>${xml(f.id)}</code>${f.node !== undefined ? ` on <b>${xml(f.node)}</b>` : ''}</div>`,
    `<p>${xml(f.summary)}</p>`,
    f.evidence.length > 0 ? `<div>evidence:</div><pre>${xml(f.evidence.join('\n'))}</pre>` : '',
    f.why !== undefined ? `<p><i>why:</i> ${xml(f.why)}</p>` : '',
    `<p><i>fix:</i> <code>${xml(f.fix)}</code></p>`,
    '</div>',
  ].join('\n');
}

/** JSON inside a script element: "</" and "<!--" cannot end or confuse it (HTML spec, script data). */
function jsonInHtml(doc: ReportDoc): string {
  return JSON.stringify(doc).replace(/</g, '\\u003c');
}

export function renderHtml(doc: ReportDoc, opts: { allBranches?: boolean } = {}): string {
  const v = verdictMark(doc);
  const shown = tracesToShow(doc.traces, opts.allBranches === true);
  const hidden = doc.traces.length - shown.length;
  const title = `${v.mark} ${v.words} — ${describeQuery(doc)}`;
  const body = [
    `<h1 class="verdict ${v.tone}">${xml(title)}</h1>`,
    `<div class="cluster">${xml(clusterLine(doc).join(' · '))} · exit status ${v.exit}</div>`,
    ...shown.map(
      (t, i) =>
        `<section class="trace ${xml(t.verdict)}" data-trace="${doc.traces.indexOf(t)}"><h2>${xml(traceHeading(t))}</h2><div class="scroll">${traceSvg(t, `trace-${i + 1}`)}</div>${hopsTable(t)}</section>`,
    ),
    hidden > 0 ? `<p class="note">${hidden} more delivered branch(es) like the ones above (--all-branches).</p>` : '',
    activeHtml(doc),
    `<h2>Findings (${doc.findings.length})</h2>`,
    doc.findings.length === 0 ? '<p>No findings.</p>' : doc.findings.map(findingHtml).join('\n'),
    ...doc.notes.map((n) => `<p class="note">note: ${xml(n)}</p>`),
    // The report itself, for whoever receives the page (inert: no script runs).
    `<script type="application/json" id="netcheck-report">${jsonInHtml(doc)}</script>`,
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netcheck: ${xml(title)}</title>
<style>${STYLE}${doc.active !== undefined ? ACTIVE_STYLE : ''}</style></head>
<body>
${body.filter((b) => b !== '').join('\n')}
</body></html>
`;
}
