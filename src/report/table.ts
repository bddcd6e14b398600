// The human report: the verdict line, the path of each trace (compact, or every hook with -o wide),
// findings by severity with their evidence and fix, then notes. Rendered from the same ReportDoc
// as -o json, so both say the same thing; laid out to the terminal width, tokens never split.
import type { Finding } from '../checks/finding.ts';
import type { Paint } from './colour.ts';
import { activeText } from './active.ts';
import { compactTrace } from './compact.ts';
import type { ReportDoc, TraceDoc } from './document.ts';
import { hanging, joinParts } from './text-layout.ts';
import type { Tone } from './verdict.ts';
import { verdictMark } from './verdict.ts';
import { wideTrace } from './wide.ts';

export type PathView = 'compact' | 'wide';

export function describeQuery(doc: ReportDoc): string {
  const q = doc.query;
  switch (q.command) {
    case 'pod-to-pod':
    case 'trace':
      return `${q['source']} → ${q['destination']} ${q['protocol']}${q['port'] !== undefined ? `/${q['port']}` : ''}`;
    case 'lan':
      return `${q['lanHost']} ↔ ${q['target']}${q['via'] !== undefined ? ` via ${q['via']}` : ''}${q['port'] !== undefined ? ` port ${q['port']}` : ''}`;
    case 'externalip':
      return `externalIPs of ${q['service'] ?? 'every Service'}${q['from'] !== undefined ? ` from ${q['from']}` : ''}`;
    default:
      return `${doc.cluster.nodes.length} node(s), ${doc.findings.length} finding(s)`;
  }
}

export function clusterLine(doc: ReportDoc): string[] {
  const c = doc.cluster;
  return [
    `cluster ${c.context ?? 'snapshot'}`,
    `captured ${c.capturedAt}`,
    `CNI ${c.cni}${c.ipam !== 'unknown' ? ` (IPAM ${c.ipam})` : ''}, ${c.encapsulation === 'none' ? 'no encapsulation' : `encapsulation ${c.encapsulation}`}`,
    `kube-proxy ${c.kubeProxy}`,
    `${c.nodes.length} node(s) probed`,
  ];
}

export function toneOf(p: Paint, tone: Tone): (s: string) => string {
  return tone === 'ok' ? p.green : tone === 'bad' ? p.red : p.yellow;
}

const SEVERITY_PAINT: Record<Finding['severity'], keyof Pick<Paint, 'red' | 'yellow' | 'blue'>> = {
  critical: 'red',
  error: 'red',
  warning: 'yellow',
  info: 'blue',
};

const PROSE = { longTokens: 'truncate' } as const;

function findingText(f: Finding, p: Paint, width: number, wide: boolean): string[] {
  const opts = wide ? ({ longTokens: 'overflow' } as const) : PROSE;
  const lines = [
    `${p.bold(p[SEVERITY_PAINT[f.severity]](f.severity.toUpperCase()))} ${p.bold(f.id)}${f.node !== undefined ? `  node ${f.node}` : ''}`,
    ...hanging('  ', f.summary, width, '  ', opts),
  ];
  if (f.evidence.length > 0) {
    lines.push(p.dim('  evidence:'));
    for (const e of f.evidence)
      for (const l of e.split('\n')) lines.push(...hanging('    ', l, width, '      ', opts).map((x) => p.dim(x)));
  }
  if (f.why !== undefined) lines.push(...hanging('  why: ', f.why, width, '       ', opts));
  lines.push(...hanging('  fix: ', f.fix, width, '       ', opts));
  return lines;
}

/** Which traces the table shows: every failed one, and the first delivered one of each flow and direction. */
export function tracesToShow(traces: readonly TraceDoc[], all: boolean): TraceDoc[] {
  if (all) return [...traces];
  const seen = new Set<string>();
  return traces.filter((t) => {
    if (t.verdict !== 'delivered') return true;
    const k = `${t.flow}\u0000${t.direction}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** doctor: which checks ran, which were skipped and why, which lacked data (and which). */
function checksText(doc: ReportDoc, p: Paint, width: number): string[] {
  if (doc.checks === undefined) return [];
  const ran = doc.checks.filter((c) => c.status === 'ran').map((c) => c.check);
  const lines = [p.bold(`Checks (${ran.length} of ${doc.checks.length} ran in full):`)];
  if (ran.length > 0) lines.push(...hanging(`  ${p.green('✔')} `, ran.join(', '), width, '    ', PROSE));
  for (const c of doc.checks) {
    if (c.status === 'ran') continue;
    const mark = c.status === 'skipped' ? p.dim('-') : p.yellow('?');
    const what = c.status === 'skipped' ? 'skipped' : c.status === 'partial' ? 'partly run' : 'not run';
    lines.push(
      ...hanging(
        `  ${mark} `,
        `${c.check}: ${what}${c.reason !== undefined ? ` (${c.reason})` : ''}`,
        width,
        '    ',
        PROSE,
      ),
    );
  }
  return [...lines, ''];
}

const POLICY_MARK = { allowed: '✔', denied: '✘', unknown: '?' } as const;
const DATAPATH_WORDS = {
  delivered: 'the datapath delivers it',
  dropped: 'the datapath drops it',
  unknown: 'the datapath verdict is unknown',
  'not-walked': 'the datapath is not walked (eBPF): this is what there is',
} as const;

/** trace: the NetworkPolicy objects' verdict per connection, next to the datapath's. */
function policyText(doc: ReportDoc, p: Paint, width: number): string[] {
  if (doc.policy === undefined || doc.policy.length === 0) return [];
  const lines = [p.bold('NetworkPolicy (from the objects):')];
  for (const d of doc.policy) {
    const tone = d.verdict === 'allowed' ? p.green : d.verdict === 'denied' ? p.red : p.yellow;
    lines.push(
      ...hanging(
        `  ${tone(POLICY_MARK[d.verdict])} `,
        `${d.flow}: ${d.verdict}; ${DATAPATH_WORDS[d.datapath]}`,
        width,
        '    ',
        PROSE,
      ),
    );
    for (const s of d.sides)
      lines.push(
        ...hanging('    ', `${s.direction} of ${s.pod}: ${s.reason}`, width, '      ', PROSE).map((l) => p.dim(l)),
      );
  }
  return [...lines, ''];
}

export function renderTable(
  doc: ReportDoc,
  p: Paint,
  width: number,
  opts: { allBranches?: boolean; view?: PathView } = {},
): string {
  const wide = opts.view === 'wide';
  const v = verdictMark(doc);
  const out: string[] = hanging(`${v.mark} ${v.words}  `, describeQuery(doc), width, '   ', PROSE).map((l, i) =>
    i === 0 ? `${p.bold(toneOf(p, v.tone)(`${v.mark} ${v.words}`))}${l.slice(v.mark.length + v.words.length + 1)}` : l,
  );
  out.push(...joinParts(clusterLine(doc), width, '  ', PROSE).map((l) => p.dim(l)));
  const shown = tracesToShow(doc.traces, opts.allBranches === true);
  for (const t of shown) out.push('', ...(wide ? wideTrace(t, p, width) : compactTrace(t, p, width)));
  const hidden = doc.traces.length - shown.length;
  if (hidden > 0)
    out.push(
      '',
      ...hanging(
        '',
        `(${hidden} more delivered branch(es) like the ones above: --all-branches shows them)`,
        width,
        '',
        PROSE,
      ).map((l) => p.dim(l)),
    );
  if (shown.length > 0 && !wide)
    out.push(
      '',
      ...hanging('', '(accepted hooks folded: -o wide shows every hop)', width, '', PROSE).map((l) => p.dim(l)),
    );
  out.push('');
  out.push(...policyText(doc, p, width));
  out.push(...checksText(doc, p, width));
  out.push(...activeText(doc, p, width, wide));
  if (doc.findings.length === 0) out.push(p.green('No findings.'));
  else {
    out.push(p.bold(`Findings (${doc.findings.length}):`));
    for (const f of doc.findings) out.push(...findingText(f, p, width, wide), '');
  }
  for (const n of doc.notes) out.push(...hanging('note: ', n, width, '      ', PROSE).map((l) => p.dim(l)));
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
