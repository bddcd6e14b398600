// The flow itself: planned on the devices the traces cross, judged from what the sender, the
// listener and each capture said. Unknown (a pod netcheck cannot enter, a capture that did not
// run) is never lost; a loss is named between the last point that captured and the first that did not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowFindings, markHops, observeFlow } from '../../../src/checks/active/flow-localise.ts';
import { flowEnd, planFlow } from '../../../src/checks/active/flow-plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import { traceFlow, traceQuery } from '../../../src/checks/queries/trace.ts';
import { resolvePod } from '../../../src/checks/resolve.ts';
import type { FlowCaptureResult, FlowPlan, FlowResults } from '../../../src/snapshot/active-flow.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

const model = buildModel(await readSnapshot('examples/healthy.json'));
const ctx = analysisContext(model);
const q = {
  source: 'default/client-0',
  destination: 'default/web-0',
  namespace: 'default',
  protocol: 'tcp' as const,
  port: 8080,
};
const doc = podToPod(ctx, q);
const ends = [resolvePod(model.cluster, q.source, 'default'), resolvePod(model.cluster, q.destination, 'default')].map(
  flowEnd,
);
const planned = planFlow(ctx, doc.traces, q, ends[0]!, ends[1]!);
const plan = (planned as { plan: FlowPlan }).plan;

/** Every capture ran; a direction's packets are captured up to (not including) point index `stop`. */
function run(
  stop: { forward?: number; reply?: number } = {},
  sender: FlowResults['sender'] = { state: 'ran', attempts: ['answered', 'answered'] },
): FlowResults {
  const captures: FlowCaptureResult[] = plan.captures.map((c) => ({
    node: c.node,
    dev: c.dev,
    state: 'ran',
    packets: (['forward', 'reply'] as const).flatMap((d) => {
      const points = d === 'forward' ? plan.probe.forward : plan.probe.reply;
      const i = points.findIndex((x) => x.node === c.node && x.dev === c.dev);
      return i < 0 || i >= (stop[d] ?? points.length) ? [] : [{ direction: d }, { direction: d }];
    }),
  }));
  return { sender, listener: { state: 'ran', received: stop.forward === undefined ? 2 : 0 }, captures };
}

test('planned on the devices both traces cross, in order, with a listener in the destination pod', () => {
  assert.deepEqual(
    plan.probe.forward.map((x) => `${x.node} ${x.dev}`),
    [
      'node-a cali56a6d256ab4',
      'node-a vxlan.calico',
      'node-a eth0',
      'node-c eth0',
      'node-c vxlan.calico',
      'node-c cali0d7763386da',
    ],
  );
  assert.equal(plan.probe.listenNode, 'node-c');
  assert.equal(plan.probe.srcNode, 'node-a');
  // Six points on both paths: per attempt SYN + RST forward, SYN-ACK back.
  assert.deepEqual(
    plan.captures.map((c) => c.expected),
    [6, 6, 6, 6, 6, 6],
  );
});

test('a source that is not a pod of its own is not sent, and says why', () => {
  const r = planFlow(ctx, doc.traces, q, { ip: '10.65.0.2' }, ends[1]!);
  assert.match((r as { skipped: string }).skipped, /no pod netcheck can enter/);
});

test('answered, captured everywhere: no finding, every hop on a captured device marked', () => {
  const o = observeFlow(plan.probe, run());
  assert.equal(o.state, 'answered');
  assert.deepEqual(flowFindings(o, doc.traces), []);
  const marked = markHops(doc.traces, o);
  assert.ok(marked.every((t) => t.hops.every((h) => h.device === undefined || h.observed === 'captured')));
});

test('not answered: localised between the last capture and the first miss; the engine disagrees', () => {
  const o = observeFlow(
    plan.probe,
    run({ forward: 3, reply: 0 }, { state: 'ran', attempts: ['no-answer', 'no-answer'] }),
  );
  assert.equal(o.state, 'not-answered');
  assert.deepEqual([o.lost?.direction, o.lost?.at.after?.dev, o.lost?.at.before.node], ['forward', 'eth0', 'node-c']);
  const fs = flowFindings(o, doc.traces);
  assert.deepEqual(
    fs.map((f) => f.id),
    ['flow-not-answered', 'prediction-mismatch'],
  );
  assert.match(fs[0]!.summary, /the packet left node-a eth0 \(captured\), never reached node-c eth0$/);
});

test('the pod cannot be entered: unknown naming why, never lost, nothing concluded', () => {
  const o = observeFlow(
    plan.probe,
    run({ forward: 0, reply: 0 }, { state: 'no-netns', why: 'no process holds 10.65.0.2' }),
  );
  assert.equal(o.state, 'unknown');
  assert.equal(o.lost, undefined);
  const fs = flowFindings(o, doc.traces);
  assert.deepEqual(
    fs.map((f) => f.id),
    ['active-not-observed'],
  );
  assert.match(fs[0]!.summary, /cannot enter the network namespace of 10\.65\.0\.2 on node-a: no process holds/);
});

test('a capture that did not run between the last capture and the next known miss is unknown, not the loss', () => {
  const r = run({ forward: 3, reply: 0 }, { state: 'ran', attempts: ['no-answer', 'no-answer'] });
  r.captures = r.captures.map((c) =>
    c.node === 'node-c' && c.dev === 'eth0' ? { node: c.node, dev: c.dev, state: 'tool-missing', tool: 'tcpdump' } : c,
  );
  const o = observeFlow(plan.probe, r);
  assert.equal(o.forward[3]!.state, 'unknown');
  assert.deepEqual(
    [o.lost?.at.after?.dev, `${o.lost?.at.before.node} ${o.lost?.at.before.dev}`],
    ['eth0', 'node-c vxlan.calico'],
  );
  assert.match(
    flowFindings(o, doc.traces)[0]!.summary,
    /never reached node-c vxlan\.calico \(node-c eth0 between: not observed\)$/,
  );
});

test('a Service: the backends’ addresses are watched too; devices past where its branches part are not watched', () => {
  const svc = {
    source: { kind: 'pod' as const, ref: 'default/client-0' },
    destination: { kind: 'service' as const, ref: 'default/web' },
    namespace: 'default',
  };
  const t = traceFlow(ctx, svc);
  const traces = traceQuery(ctx, svc).traces;
  const r = planFlow(
    ctx,
    traces,
    { protocol: t.protocol, port: t.port! },
    flowEnd(t.src.kind === 'pod' ? t.src.pod : assert.fail()),
    { ip: t.dst.ip },
  );
  const p = (r as { plan: FlowPlan }).plan;
  assert.equal(p.probe.listenNode, undefined, 'no listener for a Service');
  assert.deepEqual(
    p.probe.forward.map((x) => `${x.node} ${x.dev} ${x.unwatched === undefined ? 'watched' : 'not watched'}`),
    [
      'node-a cali56a6d256ab4 watched',
      'node-a vxlan.calico watched',
      'node-a eth0 watched',
      'node-b eth0 not watched',
      'node-b vxlan.calico not watched',
      'node-b cali0761ccbeace not watched',
    ],
  );
  assert.deepEqual(
    p.captures.map((c) => `${c.node} ${c.dev}`),
    ['node-a cali56a6d256ab4', 'node-a vxlan.calico', 'node-a eth0'],
  );
  assert.deepEqual(
    p.probe.seenAs?.map((x) => `${x.dst}:${x.port}`),
    ['10.65.0.66:8080', '10.65.0.130:8080'],
  );
  assert.match(p.captures[0]!.filter, /udp\[46:4\] = 0x0a410042/);
});
