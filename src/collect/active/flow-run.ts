// The flow's part of an `--active` run (run.ts holds the probe pods and the order): its captures
// and the destination's listener start first and say when they listen; then the source pod's
// sender runs; the listener and captures end by their own bounds. Each outcome is typed: a pod
// netcheck could not enter, a missing tool, a command that failed are said as such.
import { flowPackets } from '../../model/parse/flow-packets.ts';
import type { ExecResult } from '../kube/exec.ts';
import { exitWords, missingTool, runCapture } from './capture.ts';
import type { Exec } from './capture.ts';
import { MARKER } from '../../snapshot/active.ts';
import type { ActivePlan } from '../../snapshot/active.ts';
import { flowTuples } from '../../snapshot/active-flow.ts';
import type {
  AttemptOutcome,
  EnterFailure,
  FlowCaptureResult,
  FlowListenerResult,
  FlowPlan,
  FlowResults,
  FlowSenderResult,
} from '../../snapshot/active-flow.ts';
import { NO_NETNS_EXIT, flowListenerArgv, flowSenderArgv } from './flow.ts';
import type { FlowArgs } from './flow.ts';

/** Why a command in a pod's namespace gave no result; undefined when it ran. */
function entered(r: ExecResult, argv: readonly string[], what: string): EnterFailure | undefined {
  if (r.code === NO_NETNS_EXIT) return { state: 'no-netns', why: r.stderr.trim() };
  // nsenter and python3 are looked up by sh once the namespace is found: "nsenter: not found" (127).
  const bySh = r.code === 127 ? /([\w.-]+): not found/.exec(r.stderr)?.[1] : undefined;
  if (bySh !== undefined) return { state: 'tool-missing', tool: bySh };
  const tool = missingTool(r, argv);
  if (tool !== undefined) return { state: 'tool-missing', tool };
  if (r.code !== 0) return { state: 'failed', why: `the ${what} exited ${r.code}: ${exitWords(r)}` };
  return undefined;
}

function failure(e: unknown): EnterFailure {
  const why = (e as Error).message;
  return { state: /timed out/.test(why) ? 'timed-out' : 'failed', why };
}

export interface FlowRun {
  /** One per listener and capture: resolves when it listens or gave up. */
  ready: Promise<void>[];
  /** Whether each of `ready` was listening when it resolved. */
  listening: () => boolean[];
  send: () => Promise<FlowSenderResult>;
  /** The listener's and captures' results, once they ended; `notReady` marks captures that never listened. */
  finish: (notReady: ReadonlySet<number>, readyMs: number) => Promise<Omit<FlowResults, 'sender'>>;
}

export function startFlow(exec: Exec, flow: FlowPlan, plan: ActivePlan): FlowRun {
  const p = flow.probe;
  const x: FlowArgs = {
    run: plan.run,
    marker: MARKER,
    gap: 1 / plan.limits.ratePerSecond,
    limit: plan.limits.captureSeconds,
  };
  const seconds = plan.limits.captureSeconds;
  const flags: boolean[] = [];
  const ready: Promise<void>[] = [];
  const readyAt = () => {
    const i = flags.push(false) - 1;
    let resolve!: () => void;
    ready.push(new Promise<void>((r) => (resolve = r)));
    return (listening: boolean) => {
      if (listening) flags[i] = true;
      resolve();
    };
  };
  const listener =
    p.listenNode === undefined
      ? undefined
      : (async (): Promise<FlowListenerResult> => {
          const said = readyAt();
          const argv = flowListenerArgv(p, x);
          let heard = '';
          try {
            const r = await exec(p.listenNode!, argv, (seconds + 10) * 1000, (s) => {
              heard += s;
              if (/listening/.test(heard)) said(true);
            });
            const f = entered(r, argv, 'listener');
            if (f !== undefined) return f;
            const out = JSON.parse(r.stdout) as { received?: number; inUse?: boolean; error?: string };
            if (out.inUse === true) return { state: 'in-use' };
            if (out.received === undefined)
              return { state: 'failed', why: `the listener could not bind: ${out.error}` };
            return { state: 'ran', received: out.received };
          } catch (e) {
            return failure(e);
          } finally {
            said(false);
          }
        })();
  const captures = flow.captures.map((c) =>
    runCapture(exec, c, seconds, (b) => flowPackets(b, flowTuples(p), flow.vxlanPorts), readyAt()),
  );
  const firstCapture = listener === undefined ? 0 : 1;
  return {
    ready,
    listening: () => [...flags],
    send: async () => {
      const argv = flowSenderArgv(p, x);
      try {
        const r = await exec(p.srcNode, argv, (p.count * (p.answerSeconds + x.gap) + 20) * 1000);
        const f = entered(r, argv, 'sender');
        if (f !== undefined) return f;
        return { state: 'ran', attempts: (JSON.parse(r.stdout) as { attempts: AttemptOutcome[] }).attempts };
      } catch (e) {
        return failure(e);
      }
    },
    finish: async (notReady, readyMs) => {
      const seen = (await Promise.all(captures)).map(
        (r, i): FlowCaptureResult =>
          notReady.has(i + firstCapture) && r.state === 'ran'
            ? { node: r.node, dev: r.dev, state: 'not-ready', why: `tcpdump was not listening within ${readyMs} ms` }
            : r,
      );
      let l = listener === undefined ? undefined : await listener;
      if (l?.state === 'ran' && notReady.has(0))
        l = { state: 'failed', why: `the listener was not listening within ${readyMs} ms` };
      return { ...(l !== undefined ? { listener: l } : {}), captures: seen };
    },
  };
}
