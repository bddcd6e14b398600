// Echo probes where no pair of nodes is crossed, planned from the real node of shared/k8s (bridge
// CNI rk-cni0, pods client 10.244.1.3 and web 10.244.1.2; collected by `collect` after each pod
// pinged the node, so the node knows their MACs and the bridge their ports), and judged from what
// the captures saw. The real runs are in test/e2e-real/real-cluster.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activeFindings, observe } from '../../../src/checks/active/localise.ts';
import { planProbes } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import type { UnderlayProbe } from '../../../src/snapshot/active.ts';
import { observedRun } from '../../helpers/active-results.ts';
import { missingTool } from '../../../src/collect/active/capture.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

const ctx = analysisContext(buildModel(await readSnapshot('test/fixtures/active/real-node-localhost.json')));
const [CLIENT, WEB] = ['10.244.1.3', '10.244.1.2'];
const plan = planProbes(ctx, { pods: [CLIENT, WEB], extraTargets: [CLIENT, WEB] }, 0x1234);

/** Every request seen at every point, the answers where `answered` says. */
const run = (answered: (p: UnderlayProbe, point: number) => boolean) =>
  observedRun(plan, undefined, undefined, answered);

test('one node, two pods on its bridge: node → pod and each pod → the other, on their bridge ports', () => {
  assert.deepEqual(
    plan.probes.map((p) => [p.kind, p.src, p.dst, p.enter, p.path.map((x) => x.dev).join(' → ')]),
    [
      ['echo', '10.244.1.1', WEB, undefined, 'rk-cni0 → veth7f7cdb2d'],
      ['echo', CLIENT, WEB, CLIENT, 'veth47e27f87 → veth7f7cdb2d'],
      ['echo', WEB, CLIENT, WEB, 'veth7f7cdb2d → veth47e27f87'],
    ],
  );
  // Each copy is seen twice where it passes (request and answer): the capture ends on that count.
  const web = plan.captures.find((c) => c.dev === 'veth7f7cdb2d')!;
  assert.equal(web.expected, 3 * 2 * 2);
  assert.match(web.filter, /\(icmp and \(icmp\[0\] = 8 or icmp\[0\] = 0\) and icmp\[8:4\] = 0x4e43484b/);
  assert.deepEqual(plan.skipped, []);
});

test('doctor on the one node: nothing to probe, and said why', () => {
  const p = planProbes(ctx, {}, 1);
  assert.deepEqual(p.probes, []);
  assert.deepEqual(p.skipped, ['one probed node: no pair of nodes to probe between']);
});

test('a pod whose bridge port the node does not know is not probed from or to, and said why', async () => {
  const bare = analysisContext(buildModel(await readSnapshot('test/fixtures/active/real-node-localhost.json')));
  bare.world.hosts.get('localhost')!.neighbors.clear();
  const p = planProbes(bare, { pods: [CLIENT, WEB], extraTargets: [CLIENT, WEB] }, 1);
  assert.deepEqual(p.probes, []);
  assert.ok(p.skipped.every((s) => /no neighbour and bridge fdb entry names its port on rk-cni0/.test(s)));
});

test('answered at the sender side: arrived; requests through but no answer back: unanswered; no finding either way', () => {
  const all = observe(
    plan,
    run(() => true),
  );
  assert.deepEqual(
    all.map((o) => o.state),
    ['arrived', 'arrived', 'arrived'],
  );
  assert.deepEqual(
    all[1]!.points.map((x) => x.answers),
    [2, 2],
  );
  // web answers client, the answer never comes back to client's port.
  const lostAnswer = observe(
    plan,
    run((p, i) => !(p.enter === CLIENT && i === 0)),
  );
  assert.deepEqual(
    lostAnswer.map((o) => o.state),
    ['arrived', 'unanswered', 'arrived'],
  );
  // An echo is not the flow: shown, not judged.
  assert.deepEqual(activeFindings(lostAnswer), []);
});

test('the probe image without python3 and tcpdump (the netshoot stand-in): every probe unknown, naming both', () => {
  const runtime =
    'error executing command in container: failed to exec in container: failed to start exec "901b": OCI runtime exec failed: exec failed: unable to start container process: exec: "python3": executable file not found in $PATH: unknown';
  assert.equal(missingTool({ code: null, stderr: '', status: { message: runtime } }, ['python3', '-c']), 'python3');
  const timeout = "timeout: failed to run command 'tcpdump': No such file or directory\n";
  assert.equal(missingTool({ code: 127, stderr: timeout }, ['timeout', '-s']), 'tcpdump');
  assert.equal(missingTool({ code: 1, stderr: 'tcpdump: Couldn\'t find user "tcpdump"' }, ['timeout']), undefined);
  const obs = observe(plan, {
    senders: [{ node: 'localhost', state: 'tool-missing', tool: 'python3' }],
    captures: plan.captures.map((c) => ({ node: c.node, dev: c.dev, state: 'tool-missing', tool: 'tcpdump' })),
    elapsedMs: 1,
  });
  assert.ok(obs.every((o) => o.state === 'unknown'));
  assert.match(obs[0]!.why!, /python3 is missing on localhost .*; tcpdump is missing on localhost/);
  const f = activeFindings(obs);
  assert.deepEqual(
    f.map((x) => x.id),
    ['active-not-observed'],
  );
});
