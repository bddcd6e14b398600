// `--active` in text: the probes a run would send (--dry-run), and in a report what each probe
// did at every capture point of its predicted path.
import type { ActivePlan, UnderlayProbe } from '../snapshot/active.ts';
import { captureArgv, senderArgv } from '../collect/active/sender.ts';
import { shellQuote } from '../collect/kube/probe-pod.ts';
import type { Paint } from './colour.ts';
import type { ReportDoc } from './document.ts';
import { hanging } from './text-layout.ts';

const PROSE = { longTokens: 'truncate' } as const;

function shape(p: Pick<UnderlayProbe, 'kind' | 'port' | 'vni'>): string {
  return p.kind === 'vxlan'
    ? `VXLAN UDP ${p.port} vni ${p.vni}`
    : p.kind === 'ipip'
      ? 'IP protocol 4'
      : 'ICMP echo reply, pod source';
}

function probeLine(p: Omit<UnderlayProbe, 'path' | 'count'> & { count?: number }): string {
  return `probe ${p.id} ${p.from} → ${p.to}: ${shape(p)} ${p.src} → ${p.dst}, ${p.size} bytes${p.df ? ' DF' : ''}${p.count !== undefined ? ` ×${p.count}` : ''} (${p.purpose}; ${p.standsFor})`;
}

/** What `--dry-run --active` prints: every probe, capture and command; nothing is sent. */
export function planText(plan: ActivePlan): string {
  const l = plan.limits;
  const senders = [...new Set(plan.probes.map((p) => p.from))].sort();
  const lines = [
    '# netcheck --active --dry-run: nothing was sent.',
    `# Limits: ${l.ratePerSecond} packets/s per sender, at most ${l.maxCount} copies of a probe, ${l.maxPackets} packets in all,`,
    `# captures of at most ${l.captureSeconds} s, packets of at most ${l.maxSize} bytes; targets: cluster nodes and the pods named.`,
    `# ${plan.probes.length} probe(s), ${plan.probes.reduce((n, p) => n + p.count, 0)} packet(s), ${plan.captures.length} capture point(s).`,
    ...plan.probes.map((p) => `${probeLine(p)}\n    path: ${p.path.map((x) => `${x.node} ${x.dev}`).join(' → ')}`),
    ...plan.captures.map(
      (c) =>
        `capture on ${c.node}: ${captureArgv(c.dev, c.filter, c.expected, l.captureSeconds).map(shellQuote).join(' ')}`,
    ),
    ...senders.map((n) => {
      const argv = senderArgv(
        plan,
        plan.probes.filter((p) => p.from === n),
      );
      return `sender on ${n}: python3 -c PROGRAM ${shellQuote(argv[3]!)}`;
    }),
    ...plan.skipped.map((s) => `not probed: ${s}`),
    '# PROGRAM, the sender (python3; it writes each packet above and prints what the kernel did with it):',
    ...senderArgv(plan, [])[2]!
      .split('\n')
      .map((x) => `#   | ${x}`),
  ];
  return `${lines.join('\n')}\n`;
}

const MARK = { arrived: '✔', lost: '✘', 'not-left': '✘', refused: '!', unknown: '?' } as const;

/** The report's active part: a probe per line, its path marked as observed (-o wide: every probe). */
export function activeText(doc: ReportDoc, p: Paint, width: number, wide: boolean): string[] {
  const a = doc.active;
  if (a === undefined) return [];
  const arrived = a.probes.filter((x) => x.state === 'arrived').length;
  const out = [p.bold(`Active probes (${a.probes.length}, ${(a.elapsedMs / 1000).toFixed(1)} s): ${arrived} arrived`)];
  // Folded like accepted hooks: what arrived everywhere is one number unless -o wide.
  for (const x of a.probes.filter((y) => wide || y.state !== 'arrived')) {
    const path = x.path
      .map((pt) => `${pt.node} ${pt.dev} ${pt.state === 'captured' ? '✔' : pt.state === 'not-captured' ? '✘' : '?'}`)
      .join(' → ');
    out.push(
      ...hanging(
        `  ${MARK[x.state]} `,
        `${probeLine(x)}: ${x.state}${x.why !== undefined ? ` (${x.why})` : ''}; ${path}`,
        width,
        '    ',
        PROSE,
      ),
    );
  }
  if (!wide && arrived > 0) out.push(p.dim(`  (${arrived} probe(s) captured at every point: -o wide lists them)`));
  for (const s of a.skipped) out.push(...hanging('  not probed: ', s, width, '    ', PROSE).map((l) => p.dim(l)));
  return [...out, ''];
}
