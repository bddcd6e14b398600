// Runs an `--active` plan on the live cluster, through probe pods like collection's (hostNetwork,
// privileged, deleted when the run ends whatever happens): a pod on every node the plan sends
// from or captures on, all alive at once; every capture started and ready ("listening on")
// before the first probe leaves; then the senders; the captures end when they have every packet
// they expect or at the plan's time limit. Nothing is judged here (src/checks/active/localise.ts).
import { ClusterError, InterruptedError } from '../../lib/errors.ts';
import { parsePcap } from '../../model/parse/pcap.ts';
import type { LiveOptions } from '../live-source.ts';
import { openSession, probeRunOptions } from '../live-source.ts';
import { toClusterError } from '../kube/errors.ts';
import { execInPod } from '../kube/exec.ts';
import { probeNodes } from '../kube/probe-runner.ts';
import { PROBE_CONTAINER } from '../kube/probe-pod.ts';
import { MARKER } from '../../snapshot/active.ts';
import type {
  ActivePlan,
  ActiveResults,
  CaptureResult,
  SeenPacket,
  SendOutcome,
  SenderResult,
} from '../../snapshot/active.ts';
import { exitWords, missingTool, runCapture } from './capture.ts';
import type { Exec } from './capture.ts';
import { startFlow } from './flow-run.ts';
import { senderArgv } from './sender.ts';

/** How long a capture may take to say it is listening; later than that it is `not-ready`. */
const READY_MS = 5000;

/** This run's marked packets in a capture (parsePcap reads the marker). */
function markedPackets(pcap: Buffer, run: number): { packets: SeenPacket[]; problem?: string } {
  const r = parsePcap(pcap, MARKER);
  const packets = r.packets
    .filter((p) => p.run === run)
    .map((p) => ({ id: p.id, src: p.src, dst: p.dst, length: p.length }));
  return r.problem !== undefined ? { packets, problem: r.problem } : { packets };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function send(exec: Exec, node: string, plan: ActivePlan): Promise<SenderResult> {
  const probes = plan.probes.filter((p) => p.from === node);
  const argv = senderArgv(plan, probes);
  const copies = probes.reduce((n, p) => n + p.count, 0);
  try {
    const r = await exec(node, argv, (copies / plan.limits.ratePerSecond + 20) * 1000);
    const tool = missingTool(r, argv);
    if (tool !== undefined) return { node, state: 'tool-missing', tool };
    if (r.code !== 0) return { node, state: 'failed', why: `the sender exited ${r.code}: ${exitWords(r)}` };
    const sends = JSON.parse(r.stdout) as SendOutcome[];
    return { node, state: 'ran', sends };
  } catch (e) {
    const why = (e as Error).message;
    return { node, state: /timed out/.test(why) ? 'timed-out' : 'failed', why };
  }
}

/** Executes the plan; never sends anything the plan does not hold. */
export async function runActive(opts: LiveOptions, plan: ActivePlan): Promise<ActiveResults> {
  const started = Date.now();
  const f = plan.flow;
  const nodes = [
    ...new Set([
      ...plan.probes.map((p) => p.from),
      ...plan.captures.map((c) => c.node),
      ...(f === undefined ? [] : [f.probe.srcNode, ...(f.probe.listenNode !== undefined ? [f.probe.listenNode] : [])]),
      ...(f?.captures.map((c) => c.node) ?? []),
    ]),
  ].sort();
  if (nodes.length === 0) return { senders: [], captures: [], elapsedMs: 0 };
  const session = openSession(opts);
  const { access, client, registry, ac, uninstall } = session;
  const arrived = new Map(nodes.map((n) => [n, deferred<string | undefined>()]));
  const failures = new Map<string, string>();
  const finished = deferred<void>();
  const base = probeRunOptions(opts, registry, ac.signal);
  const running = probeNodes(
    client,
    nodes.map((name) => ({ name })),
    {
      ...base,
      // Every pod must be alive at once.
      maxPods: Math.max(base.maxPods, nodes.length),
      onProgress: (ev) => {
        opts.onProgress?.(ev);
        if (ev.phase === 'failed') {
          failures.set(ev.node, ev.detail ?? 'failed');
          arrived.get(ev.node)?.resolve(undefined);
        }
      },
      job: async (node, pod) => {
        arrived.get(node)?.resolve(pod);
        await finished.promise;
      },
    },
  );
  const ended = running.then(
    () => undefined,
    () => undefined,
  );
  let left: string[] = [];
  try {
    const pods = new Map<string, string>();
    await Promise.race([
      Promise.all(
        nodes.map(async (n) => {
          const pod = await arrived.get(n)!.promise;
          if (pod !== undefined) pods.set(n, pod);
        }),
      ),
      ended,
    ]);
    const exec: Exec = async (node, argv, timeoutMs, onStderr) => {
      const pod = pods.get(node);
      if (pod === undefined) throw new Error(failures.get(node) ?? `no probe pod on node ${node}`);
      return execInPod(client, base.namespace, pod, PROBE_CONTAINER, argv, {
        timeoutMs,
        signal: ac.signal,
        ...(onStderr !== undefined ? { onStderr } : {}),
      });
    };
    const readiness = plan.captures.map(() => deferred<void>());
    const heard = plan.captures.map(() => false);
    const captures = plan.captures.map((c, i) =>
      runCapture(
        exec,
        c,
        plan.limits.captureSeconds,
        (b) => markedPackets(b, plan.run),
        (listening) => {
          if (listening) heard[i] = true;
          readiness[i]!.resolve();
        },
      ),
    );
    const flow = plan.flow === undefined ? undefined : startFlow(exec, plan.flow, plan);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...readiness.map((d) => d.promise), ...(flow?.ready ?? [])]),
      new Promise<void>((r) => {
        timer = setTimeout(r, READY_MS);
      }),
    ]);
    clearTimeout(timer);
    // A capture that was not listening when the probes left cannot say they did not pass.
    const notReady = new Set(heard.flatMap((h, i) => (h ? [] : [i])));
    const flowNotReady = new Set(flow?.listening().flatMap((h, i) => (h ? [] : [i])) ?? []);
    const [senders, flowSender] = await Promise.all([
      Promise.all([...new Set(plan.probes.map((p) => p.from))].sort().map((n) => send(exec, n, plan))),
      flow?.send(),
    ]);
    const seen = (await Promise.all(captures)).map(
      (r, i): CaptureResult =>
        notReady.has(i) && r.state === 'ran'
          ? { node: r.node, dev: r.dev, state: 'not-ready', why: `tcpdump was not listening within ${READY_MS} ms` }
          : r,
    );
    const flowResults =
      flow === undefined || flowSender === undefined
        ? undefined
        : { sender: flowSender, ...(await flow.finish(flowNotReady, READY_MS)) };
    finished.resolve();
    await running;
    if (session.interrupted !== undefined)
      throw new InterruptedError(session.interrupted, `interrupted by ${session.interrupted}`);
    return {
      senders,
      captures: seen,
      ...(flowResults !== undefined ? { flow: flowResults } : {}),
      elapsedMs: Date.now() - started,
    };
  } catch (e) {
    if (e instanceof InterruptedError || e instanceof ClusterError) throw e;
    throw toClusterError(e, access.server, access.userName, access.requestTimeoutMs);
  } finally {
    finished.resolve();
    await ended;
    left = (await registry.deleteAll(client, 15_000)).map((r) => `${r.namespace}/${r.name}`);
    uninstall();
    client.close();
    if (left.length > 0)
      process.stderr.write(
        `warning: ${left.length} probe pod(s) could not be deleted (${left.join(', ')}): run "kubectl netcheck cleanup"\n`,
      );
  }
}
