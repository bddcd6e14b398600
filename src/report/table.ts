// The human report: a verdict line, the path as a table, findings by severity with their evidence
// and fix. Rendered from the same ReportDoc as -o json, so both say the same thing.
import Table from 'cli-table3';
import type { Finding } from '../checks/finding.ts';
import type { Paint } from './colour.ts';
import type { ReportDoc, TraceDoc } from './document.ts';

const VERDICT_TEXT: Record<ReportDoc['verdict'], string> = {
  reachable: 'REACHABLE',
  unreachable: 'UNREACHABLE',
  partial: 'PARTIALLY REACHABLE',
  unknown: 'UNKNOWN',
  healthy: 'HEALTHY',
  problems: 'PROBLEMS FOUND',
};

function verdictLine(doc: ReportDoc, p: Paint): string {
  const text = VERDICT_TEXT[doc.verdict];
  const coloured =
    doc.verdict === 'reachable' || doc.verdict === 'healthy'
      ? p.green(`✔ ${text}`)
      : doc.verdict === 'unknown' || doc.verdict === 'partial'
        ? p.yellow(`? ${text}`)
        : p.red(`✘ ${text}`);
  return `${p.bold(coloured)}  ${describeQuery(doc)}`;
}

function describeQuery(doc: ReportDoc): string {
  const q = doc.query;
  switch (q.command) {
    case 'pod-to-pod':
      return `${q['source']} → ${q['destination']} ${q['protocol']}${q['port'] !== undefined ? `/${q['port']}` : ''}`;
    case 'lan':
      return `${q['lanHost']} ↔ ${q['target']}${q['via'] !== undefined ? ` via ${q['via']}` : ''}${q['port'] !== undefined ? ` port ${q['port']}` : ''}`;
    case 'externalip':
      return `externalIPs of ${q['service'] ?? 'every Service'}${q['from'] !== undefined ? ` from ${q['from']}` : ''}`;
    default:
      return `${doc.cluster.nodes.length} node(s), ${doc.findings.length} finding(s)`;
  }
}

function table(head: string[], p: Paint, width: number, widths?: (number | null)[]): Table.Table {
  const opts: Table.TableConstructorOptions = {
    head,
    // cli-table3 colours head and border through @colors/colors unless told not to.
    style: p.enabled ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    wordWrap: true,
    wrapOnWordBoundary: false,
  };
  if (widths !== undefined) opts.colWidths = widths;
  void width;
  return new Table(opts);
}

function traceTable(t: TraceDoc, p: Paint, width: number): string {
  // node | device | step | detail: give the detail what is left of the line.
  const fixed = [4, 12, 16, 13];
  const detail = Math.max(30, width - fixed.reduce((a, b) => a + b, 0) - 6);
  const tab = table(['#', 'node', 'device', 'step', 'what happened'], p, width, [...fixed, detail]);
  t.hops.forEach((h, i) => {
    const last = i === t.hops.length - 1 && t.verdict !== 'delivered';
    tab.push([String(i + 1), h.node, h.device ?? '', last ? p.red(h.step) : h.step, h.detail]);
  });
  const seen =
    t.seenAs !== undefined
      ? `; seen as ${t.seenAs.src}${t.seenAs.sport ? `:${t.seenAs.sport}` : ''} → ${t.seenAs.dst}${t.seenAs.dport ? `:${t.seenAs.dport}` : ''}`
      : '';
  const verdict = t.verdict === 'delivered' ? p.green(t.verdict) : p.red(t.verdict);
  const branch = t.branch !== undefined ? ` [${t.branch.join('; ')}]` : '';
  return `${p.bold(`${t.flow} — ${t.direction}`)}: ${verdict}${seen}${p.dim(branch)}\n${tab.toString()}`;
}

const SEVERITY_PAINT: Record<Finding['severity'], keyof Pick<Paint, 'red' | 'yellow' | 'blue' | 'dim'>> = {
  critical: 'red',
  error: 'red',
  warning: 'yellow',
  info: 'blue',
};

function findingText(f: Finding, p: Paint): string {
  const lines = [
    `${p.bold(p[SEVERITY_PAINT[f.severity]](f.severity.toUpperCase()))} ${p.bold(f.id)}${f.node !== undefined ? `  node ${f.node}` : ''}`,
    `  ${f.summary}`,
  ];
  if (f.evidence.length > 0) {
    lines.push(p.dim('  evidence:'));
    for (const e of f.evidence) for (const l of e.split('\n')) lines.push(`    ${l}`);
  }
  if (f.why !== undefined) lines.push(`${p.dim('  why:')} ${f.why}`);
  lines.push(`${p.dim('  fix:')} ${f.fix}`);
  return lines.join('\n');
}

/** Which traces the table shows: every failed one, and the first delivered one of each flow and direction. */
function tracesToShow(traces: readonly TraceDoc[], all: boolean): TraceDoc[] {
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
function checksText(doc: ReportDoc, p: Paint): string[] {
  if (doc.checks === undefined) return [];
  const ran = doc.checks.filter((c) => c.status === 'ran').map((c) => c.check);
  const lines = [p.bold(`Checks (${ran.length} of ${doc.checks.length} ran in full):`)];
  if (ran.length > 0) lines.push(`  ${p.green('✔')} ${ran.join(', ')}`);
  for (const c of doc.checks) {
    if (c.status === 'ran') continue;
    const mark = c.status === 'skipped' ? p.dim('-') : p.yellow('?');
    const what = c.status === 'skipped' ? 'skipped' : c.status === 'partial' ? 'partly run' : 'not run';
    lines.push(`  ${mark} ${c.check}: ${what}${c.reason !== undefined ? ` (${c.reason})` : ''}`);
  }
  return [...lines, ''];
}

export function renderTable(doc: ReportDoc, p: Paint, width: number, opts: { allBranches?: boolean } = {}): string {
  const out: string[] = [verdictLine(doc, p)];
  out.push(
    p.dim(
      `cluster: ${doc.cluster.context ?? 'snapshot'} (captured ${doc.cluster.capturedAt}) · CNI ${doc.cluster.cni}, ${doc.cluster.encapsulation === 'none' ? 'no encapsulation' : `encapsulation ${doc.cluster.encapsulation}`}, kube-proxy ${doc.cluster.kubeProxy} · ${doc.cluster.nodes.length} node(s) probed`,
    ),
  );
  const shown = tracesToShow(doc.traces, opts.allBranches === true);
  if (shown.length > 0) out.push('');
  for (const t of shown) out.push(traceTable(t, p, width));
  const hidden = doc.traces.length - shown.length;
  if (hidden > 0)
    out.push(p.dim(`(${hidden} more delivered branch(es) like the ones above: -o json shows every trace)`));
  out.push('');
  out.push(...checksText(doc, p));
  if (doc.findings.length === 0) out.push(p.green('No findings.'));
  else {
    out.push(p.bold(`Findings (${doc.findings.length}):`));
    for (const f of doc.findings) out.push(findingText(f, p), '');
  }
  for (const n of doc.notes) out.push(p.dim(`note: ${n}`));
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
