// vtep-mac on the captured kubeadm + flannel example: a peer that was not probed is judged from
// its flannel backend-data annotation (VtepMAC), which is what the sending flanneld programs from;
// a probed peer from its device, whatever its annotation says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisContext } from '../../../src/checks/context.ts';
import { vtepMacCheck } from '../../../src/checks/node/vtep-mac.ts';
import { runChecks } from '../../../src/checks/run-checks.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';

const ANNOTATION = 'flannel.alpha.coreos.com/backend-data';

async function flannel(edit: (s: Snapshot) => void) {
  const s = await readSnapshot('examples/kubeadm-flannel.json');
  edit(s);
  return runChecks(analysisContext(buildModel(s)), [vtepMacCheck]).findings;
}

function setVtepMac(s: Snapshot, node: string, mac: string): void {
  const n = s.objects.nodes.find((x) => (x['metadata'] as { name: string }).name === node)!;
  const a = (n['metadata'] as { annotations: Record<string, string> }).annotations;
  a[ANNOTATION] = JSON.stringify({ ...JSON.parse(a[ANNOTATION]!), VtepMAC: mac });
}

test('healthy flannel: every neighbour entry has the peer device MAC → nothing', async () => {
  assert.deepEqual(await flannel(() => {}), []);
});

test('node-c not probed, its annotation names another MAC than node-a and node-b program → a finding on each', async () => {
  const f = await flannel((s) => {
    delete s.hosts['node-c'];
    setVtepMac(s, 'node-c', '0a:0a:0a:0a:0a:0a');
  });
  assert.deepEqual(f.map((x) => `${x.id} ${x.node}`).sort(), ['vtep-mac-mismatch node-a', 'vtep-mac-mismatch node-b']);
  assert.ok(
    f[0]!.evidence.some((e) => e.includes('"VtepMAC":"0a:0a:0a:0a:0a:0a"')),
    f[0]!.evidence.join('\n'),
  );
  assert.match(f[0]!.summary, /node-c's VTEP has MAC 0a:0a:0a:0a:0a:0a/);
});

test('node-c probed: its device decides, a stale annotation does not', async () => {
  assert.deepEqual(await flannel((s) => setVtepMac(s, 'node-c', '0a:0a:0a:0a:0a:0a')), []);
});
