// One capture point, run through a probe pod: tcpdump with the point's filter, bounded in packets
// (-c) and time (timeout -s INT), ready once it says "listening on"; its pcap read by the parser
// the point's packets need. What did not run is said, never read as "nothing passed".
import type { ExecResult } from '../kube/exec.ts';
import type { Point } from '../../snapshot/active.ts';
import { captureArgv } from './sender.ts';

export type Exec = (
  node: string,
  argv: readonly string[],
  timeoutMs: number,
  onStderr?: (s: string) => void,
) => Promise<ExecResult>;

export type CaptureOutcome<P> = Point &
  (
    | { state: 'ran'; packets: P[] }
    | { state: 'tool-missing'; tool: string }
    | { state: 'failed' | 'timed-out' | 'not-ready'; why: string }
  );

/**
 * The tool a command could not start, from timeout(1)'s words on stderr or the runtime's in the
 * exec Status (runc: `exec: "python3": executable file not found in $PATH`, code null); undefined
 * when it started.
 */
export function missingTool(
  r: Pick<ExecResult, 'code' | 'stderr'> & { status?: { message?: string } },
  argv: readonly string[],
): string | undefined {
  if (r.code !== 127 && r.code !== null) return undefined;
  const words = `${r.stderr}\n${r.status?.message ?? ''}`;
  if (!/not found|No such file/i.test(words)) return undefined;
  const named = /['‘"]([\w.-]+)['’"]:? (?:executable file )?(?:not found|No such file)/i.exec(words)?.[1];
  return named ?? /['‘"]([\w.-]+)['’"]/.exec(r.stderr)?.[1] ?? argv[0] ?? '?';
}

/** What a failed command said: its stderr, else the runtime's Status message, on one line. */
export function exitWords(r: ExecResult): string {
  const said = r.stderr.trim() !== '' ? r.stderr : (r.status.message ?? '');
  return said.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export interface CaptureSpec extends Point {
  filter: string;
  expected: number;
}

export async function runCapture<P>(
  exec: Exec,
  c: CaptureSpec,
  seconds: number,
  parse: (pcap: Buffer) => { packets: P[]; problem?: string },
  ready: (listening: boolean) => void,
): Promise<CaptureOutcome<P>> {
  const argv = captureArgv(c.dev, c.filter, c.expected, seconds);
  const at = { node: c.node, dev: c.dev };
  let heard = '';
  try {
    const r = await exec(c.node, argv, (seconds + 10) * 1000, (s) => {
      heard += s;
      if (/listening on/.test(heard)) ready(true);
    });
    const tool = missingTool(r, argv);
    if (tool !== undefined) return { ...at, state: 'tool-missing', tool };
    // 0: every expected packet seen (-c); 124: timeout(1) ended it at the limit.
    if (r.code !== 0 && r.code !== 124)
      return { ...at, state: 'failed', why: `tcpdump exited ${r.code}: ${exitWords(r)}` };
    const pcap = parse(r.stdoutBytes);
    if (pcap.problem !== undefined && pcap.packets.length === 0) return { ...at, state: 'failed', why: pcap.problem };
    return { ...at, state: 'ran', packets: pcap.packets };
  } catch (e) {
    return { ...at, state: 'failed', why: (e as Error).message };
  } finally {
    ready(false);
  }
}
