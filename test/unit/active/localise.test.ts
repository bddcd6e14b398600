// Merging observations with the prediction: the first capture point that missed a packet localises
// its loss; a point or sender without a result makes the probe unknown, never lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeFindings, observe } from '../../../src/checks/active/localise.ts';
import { flowPairs, mergeActive } from '../../../src/checks/active/merge.ts';
import { planProbes } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import type { ActivePlan } from '../../../src/snapshot/active.ts';
import { observedRun } from '../../helpers/active-results.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

const ctx = analysisContext(buildModel(await readSnapshot('examples/healthy.json')));
const plan: ActivePlan = planProbes(ctx, {}, 0x1234);

const results = (lost?: (id: number) => boolean, notLeft?: (id: number) => boolean) => observedRun(plan, lost, notLeft);

const idOf = (from: string, to: string, purpose: string) =>
  plan.probes.find((p) => p.from === from && p.to === to && p.purpose === purpose)!.id;

test('everything captured everywhere: every probe arrived, no finding', () => {
  const obs = observe(plan, results());
  assert.ok(obs.every((o) => o.state === 'arrived'));
  assert.deepEqual(activeFindings(obs), []);
});

test('VXLAN dropped between node-a and node-c: localised to that pair, per direction', () => {
  const drop = new Set([idOf('node-a', 'node-c', 'reach'), idOf('node-a', 'node-c', 'mtu')]);
  const fs = activeFindings(
    observe(
      plan,
      results((id) => drop.has(id)),
    ),
  );
  assert.deepEqual(
    fs.map((f) => [f.id, f.node]),
    [['underlay-drops-encapsulation', 'node-a']],
  );
  assert.match(
    fs[0]!.summary,
    /node-a → node-c: left node-a eth0 as VXLAN \(UDP 4789\) 192\.168\.1\.11 → 192\.168\.1\.13 \(captured\), never reached node-c eth0: the network between them drops UDP 4789/,
  );
  assert.ok(fs[0]!.evidence.includes('tcpdump -i eth0 on node-c: 0 of 2 captured'), fs[0]!.evidence.join('\n'));
});

test('only the MTU-sized probe lost: a path-MTU black hole', () => {
  const fs = activeFindings(
    observe(
      plan,
      results((id) => id === idOf('node-b', 'node-c', 'mtu')),
    ),
  );
  assert.deepEqual(
    fs.map((f) => f.id),
    ['path-mtu-black-hole'],
  );
  assert.match(fs[0]!.summary, /1500-byte VXLAN \(UDP 4789\) packet with DF .* while 96-byte ones arrive/);
});

test('not seen on the device the engine predicts: prediction-mismatch, both sides', () => {
  const fs = activeFindings(
    observe(
      plan,
      results(undefined, (id) => id === idOf('node-c', 'node-a', 'reach')),
    ),
  );
  assert.deepEqual(
    fs.map((f) => f.id),
    ['prediction-mismatch'],
  );
  assert.match(fs[0]!.evidence[0]!, /^engine: .* leaves node-c by eth0/);
});

test('a missing tool or a capture that did not run: unknown, not lost', () => {
  const r = results(() => true);
  r.captures = r.captures.map((c) =>
    c.node === 'node-b' ? { node: c.node, dev: c.dev, state: 'tool-missing', tool: 'tcpdump' } : c,
  );
  r.senders = r.senders.map((s) =>
    s.node === 'node-c' ? { node: 'node-c', state: 'tool-missing', tool: 'python3' } : s,
  );
  const obs = observe(plan, r);
  assert.equal(obs.find((o) => o.probe.to === 'node-b' && o.probe.from === 'node-a')!.state, 'unknown');
  assert.equal(obs.find((o) => o.probe.from === 'node-c')!.state, 'unknown');
  const ids = new Set(activeFindings(obs).map((f) => f.id));
  assert.ok(ids.has('active-not-observed'));
  // node-a → node-c: both points ran, the receiver missed it: lost.
  assert.ok(ids.has('underlay-drops-encapsulation'));
});

test('EMSGSIZE at the sender: refused, no finding from it (the tunnel-mtu check reads the same MTUs)', () => {
  const r = results();
  const id = idOf('node-a', 'node-b', 'mtu');
  r.senders = r.senders.map((s) =>
    s.state === 'ran' ? { ...s, sends: s.sends.map((x) => (x.id === id ? { id, sent: 0, error: 'EMSGSIZE' } : x)) } : s,
  );
  const obs = observe(plan, r);
  assert.equal(obs.find((o) => o.probe.id === id)!.state, 'refused');
  assert.deepEqual(activeFindings(obs), []);
});

test('doctor: a loss turns HEALTHY into problems; the probes are in the report', () => {
  const doc = doctor(ctx);
  assert.equal(doc.verdict, 'healthy');
  const merged = mergeActive(
    doc,
    plan,
    results((id) => id === idOf('node-a', 'node-c', 'reach')),
  );
  assert.equal(merged.verdict, 'problems');
  assert.equal(merged.active!.probes.length, plan.probes.length);
  assert.equal(mergeActive(doc, plan, results()).verdict, 'healthy');
});

test('pod-to-pod: the engine delivers across a pair the probes lose: prediction-mismatch and, on the reply pair, reply-path-broken', () => {
  const doc = podToPod(ctx, {
    source: 'default/client-0',
    destination: 'default/web-1',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
  });
  const pairs = flowPairs(doc.traces, '10.65.0.2', '10.65.0.66');
  assert.deepEqual(
    pairs.map((p) => `${p.direction} ${p.from}>${p.to} ${p.delivered}`),
    ['forward node-a>node-b true', 'reply node-b>node-a true'],
  );
  const flowPlan = planProbes(ctx, { pairs, extraTargets: ['10.65.0.2', '10.65.0.66'] }, 9);
  const lostReply = new Set(flowPlan.probes.filter((p) => p.from === 'node-b').map((p) => p.id));
  const r = observedRun(flowPlan, (id) => lostReply.has(id));
  const merged = mergeActive(doc, flowPlan, r, pairs);
  const ids = merged.findings.map((f) => f.id).sort();
  assert.deepEqual(ids, ['prediction-mismatch', 'reply-path-broken', 'underlay-drops-encapsulation']);
  const mismatch = merged.findings.find((f) => f.id === 'prediction-mismatch')!;
  assert.match(mismatch.evidence[0]!, /^engine \(reply\): node-b/);
});
