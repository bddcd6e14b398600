// `--active` in text: the probes a run would send (--dry-run), and in a report what each probe
// did at every capture point of its predicted path.
import { flowListenerArgv, flowProgram, flowSenderArgv } from '../collect/active/flow.ts';
import { MARKER } from '../snapshot/active.ts';
import type { ActivePlan, UnderlayProbe } from '../snapshot/active.ts';
import type { FlowProbe } from '../snapshot/active-flow.ts';
import { captureArgv, senderArgv } from '../collect/active/sender.ts';
import { shellQuote } from '../collect/kube/probe-pod.ts';
import { lossText } from '../checks/active/flow-localise.ts';
import type { FlowObservation } from '../checks/active/flow-localise.ts';
import type { Paint } from './colour.ts';
import type { ReportDoc } from './document.ts';
import { hanging } from './text-layout.ts';

const PROSE = { longTokens: 'truncate' } as const;

function shape(p: Pick<UnderlayProbe, 'kind' | 'port' | 'vni'>): string {
  return p.kind === 'vxlan'
    ? `VXLAN UDP ${p.port} vni ${p.vni}`
    : p.kind === 'wireguard'
      ? `WireGuard-shaped UDP ${p.port}`
      : p.kind === 'esp'
        ? 'ESP (IP protocol 50) SPI 0xfffffffe'
        : p.kind === 'ipip'
          ? 'IP protocol 4'
          : p.kind === 'echo'
            ? 'ICMP echo request'
            : 'ICMP echo reply, pod source';
}

/** One probe in words, the same in every format. */
export function probeLine(p: Omit<UnderlayProbe, 'path' | 'count'> & { count?: number }): string {
  return `probe ${p.id} ${p.from} → ${p.to}: ${shape(p)} ${p.src} → ${p.dst}, ${p.size} bytes${p.df ? ' DF' : ''}${p.count !== undefined ? ` ×${p.count}` : ''} (${p.purpose}; ${p.standsFor})`;
}

function flowLine(f: FlowProbe): string {
  return `flow ${f.protocol} ${f.src} → ${f.dst}${f.port !== undefined ? `:${f.port}` : ''} ×${f.count}, sent from the network namespace holding ${f.src} on ${f.srcNode}${f.listenNode !== undefined ? `, answered by a listener in ${f.dst}'s on ${f.listenNode}` : ''}`;
}

/** The flow's part of the dry run: what is sent, where it is watched, the commands. */
function flowPlanLines(plan: ActivePlan): string[] {
  const f = plan.flow;
  if (f === undefined) return [];
  const x = { run: plan.run, marker: MARKER, gap: 1 / plan.limits.ratePerSecond, limit: plan.limits.captureSeconds };
  const programmed = (argv: string[]) =>
    `sh -c ENTER ${argv.slice(3, 5).map(shellQuote).join(' ')} python3 -c FLOW ${shellQuote(argv.at(-1)!)}`;
  const { enter, program } = flowProgram();
  return [
    flowLine(f.probe),
    ...(['forward', 'reply'] as const).map(
      (d) =>
        `    ${d} path: ${f.probe[d].map((x) => `${x.node} ${x.dev}${x.unwatched !== undefined ? ' (not watched)' : ''}`).join(' → ')}`,
    ),
    ...[...new Set([...f.probe.forward, ...f.probe.reply].flatMap((x) => x.unwatched ?? []))].map(
      (w) => `    not watched: ${w}`,
    ),
    ...f.captures.map(
      (c) =>
        `flow capture on ${c.node}: ${captureArgv(c.dev, c.filter, c.expected, plan.limits.captureSeconds).map(shellQuote).join(' ')}`,
    ),
    `flow sender on ${f.probe.srcNode}: ${programmed(flowSenderArgv(f.probe, x))}`,
    ...(f.probe.listenNode !== undefined
      ? [`flow listener on ${f.probe.listenNode}: ${programmed(flowListenerArgv(f.probe, x))}`]
      : []),
    "# ENTER (sh; enters the pod's network namespace, found through /proc):",
    ...enter.split('\n').map((l) => `#   | ${l}`),
    '# FLOW (python3; the sender and the listener):',
    ...program.split('\n').map((l) => `#   | ${l}`),
  ];
}

/** What `--dry-run --active` prints: every probe, capture and command; nothing is sent. */
export function planText(plan: ActivePlan): string {
  const l = plan.limits;
  const senders = [...new Set(plan.probes.map((p) => p.from))].sort();
  const lines = [
    '# netcheck --active --dry-run: nothing was sent.',
    `# Limits: ${l.ratePerSecond} packets/s per sender, at most ${l.maxCount} copies of a probe, ${l.maxPackets} packets in all,`,
    `# captures of at most ${l.captureSeconds} s, packets of at most ${l.maxSize} bytes; targets: cluster nodes and the pods named.`,
    `# ${plan.probes.length} probe(s), ${plan.probes.reduce((n, p) => n + p.count, 0)} packet(s), ${plan.captures.length} capture point(s)${plan.flow !== undefined ? `; the flow itself, ${plan.flow.probe.count} attempt(s), ${plan.flow.captures.length} capture point(s)` : ''}.`,
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
    ...flowPlanLines(plan),
    ...plan.skipped.map((s) => `not probed: ${s}`),
    '# PROGRAM, the sender (python3; it writes each packet above and prints what the kernel did with it):',
    ...senderArgv(plan, [])[2]!
      .split('\n')
      .map((x) => `#   | ${x}`),
  ];
  return `${lines.join('\n')}\n`;
}

export const PROBE_MARK = {
  arrived: '✔',
  unanswered: '✘',
  lost: '✘',
  'not-left': '✘',
  refused: '!',
  unknown: '?',
} as const;

type ActivePoint = NonNullable<ReportDoc['active']>['probes'][number]['path'][number];

/** A capture point as observed: "node-c eth0 ✘", with an echo's answers. */
export function pointWords(pt: ActivePoint): string {
  const mark = pt.state === 'captured' ? '✔' : pt.state === 'not-captured' ? '✘' : '?';
  return `${pt.node} ${pt.dev} ${mark}${pt.answers !== undefined ? ` (${pt.answers} answer(s))` : ''}`;
}

/** The section's heading: how many probes, how long, how many arrived. */
export function activeHeading(a: NonNullable<ReportDoc['active']>): string {
  const arrived = a.probes.filter((x) => x.state === 'arrived').length;
  return `Active probes (${a.probes.length}, ${(a.elapsedMs / 1000).toFixed(1)} s): ${arrived} arrived`;
}

/** The report's active part: a probe per line, its path marked as observed (-o wide: every probe). */
export function activeText(doc: ReportDoc, p: Paint, width: number, wide: boolean): string[] {
  const a = doc.active;
  if (a === undefined) return [];
  const arrived = a.probes.filter((x) => x.state === 'arrived').length;
  const out = [p.bold(activeHeading(a))];
  // Folded like accepted hooks: what arrived everywhere is one number unless -o wide.
  for (const x of a.probes.filter((y) => wide || y.state !== 'arrived')) {
    const path = x.path.map(pointWords).join(' → ');
    out.push(
      ...hanging(
        `  ${PROBE_MARK[x.state]} `,
        `${probeLine(x)}: ${x.state}${x.why !== undefined ? ` (${x.why})` : ''}; ${path}`,
        width,
        '    ',
        PROSE,
      ),
    );
  }
  if (!wide && arrived > 0) out.push(p.dim(`  (${arrived} probe(s) captured at every point: -o wide lists them)`));
  out.push(...flowText(a.flow, p, width));
  for (const s of a.skipped) out.push(...hanging('  not probed: ', s, width, '    ', PROSE).map((l) => p.dim(l)));
  return [...out, ''];
}

const POINT = { captured: '✔', 'not-captured': '✘', unknown: '?' } as const;
const FLOW_MARK = { answered: '✔', refused: '✘', 'not-answered': '✘', unknown: '?' } as const;

/** The flow itself: its answer, the listener, each direction's path as captured. */
function flowText(f: FlowObservation | undefined, p: Paint, width: number): string[] {
  if (f === undefined) return [];
  const l = f.listener;
  const listener =
    l === undefined
      ? ''
      : `; listener: ${'received' in l ? `${l.received} received` : 'state' in l ? 'port in use, the pod answers' : `unknown (${l.unknown})`}`;
  const head = `${FLOW_MARK[f.state]} ${flowLine(f.probe)}: ${f.state}${f.why !== undefined ? ` (${f.why})` : ''}${f.attempts.length > 0 ? ` [${f.attempts.join(', ')}]` : ''}${listener}`;
  const path = (name: string, xs: FlowObservation['forward']) =>
    hanging(
      `    ${name}: `,
      xs.map((x) => `${x.node} ${x.dev} ${POINT[x.state]}${x.outer !== undefined ? ` (${x.outer})` : ''}`).join(' → '),
      width,
      '      ',
      PROSE,
    );
  const lost =
    f.lost !== undefined ? hanging('    ', lossText(f.lost.at, f.lost.direction), width, '      ', PROSE) : [];
  const line = hanging('  ', head, width, '    ', PROSE);
  return [
    ...(f.state === 'answered' ? line : line.map((x) => p.bold(x))),
    ...path('forward', f.forward),
    ...path('reply', f.reply),
    ...lost,
  ];
}
