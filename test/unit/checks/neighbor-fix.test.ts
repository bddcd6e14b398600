// The no-neighbor fix fits what the next hop is: a pod (the route, the pod's side, the CNI), a
// node or its VTEP (neighbour and forwarding entries), anything else (its presence on the link).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { analysisContext } from '../../../src/checks/context.ts';
import { neighborFix } from '../../../src/checks/flow/neighbor-fix.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import type { Hop } from '../../../src/engine/trace.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { buildModel } from '../../../src/model/model.ts';
import { decodeSnapshot } from '../../../src/snapshot/io.ts';

const ctx = (example: string) =>
  analysisContext(
    buildModel(decodeSnapshot(readFileSync(new URL(`../../../examples/${example}.json`, import.meta.url)), example)),
  );

test('tunnel-next-hop: the next hop is a pod, so the fix is the route and the pod side, not a neighbour entry', () => {
  const doc = podToPod(ctx('tunnel-next-hop'), {
    source: 'default/web-0',
    destination: 'default/client-0',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
  });
  const f = doc.findings.find((x) => x.id === 'no-neighbor');
  assert.ok(f !== undefined, doc.findings.map((x) => x.id).join());
  assert.match(f.fix, /^10\.65\.0\.130 is pod default\/web-0 on node-c, not a node's tunnel endpoint/);
  assert.match(f.fix, /Fix the route on node-c that sends via 10\.65\.0\.130 out of vxlan\.calico/);
  assert.doesNotMatch(f.fix, /ip neigh replace|bridge fdb append/);
});

const hop = (nextHop: string): Hop => ({
  node: 'node-b',
  step: 'neighbor',
  detail: 'no neighbour entry',
  evidence: [],
  device: 'vxlan.calico',
  reason: { kind: 'no-neighbor', nextHop: parseIpv4(nextHop)! },
});

test("a node's address or its VTEP: the neighbour and forwarding entries", () => {
  const c = ctx('healthy');
  for (const ip of ['192.168.1.11']) {
    const fix = neighborFix(c, hop(ip));
    assert.match(fix ?? '', new RegExp(`^${ip.replace(/\./g, '\\.')} is node node-a's: node-b lacks the neighbour`));
    assert.match(fix ?? '', /ip neigh replace/);
  }
});

test('an address that is no node or pod: its presence on the link', () => {
  const fix = neighborFix(ctx('healthy'), hop('192.168.1.77'));
  assert.match(
    fix ?? '',
    /^192\.168\.1\.77 is no node or pod of the cluster: check that a host holds it on the link behind vxlan\.calico \(arping/,
  );
});
