// buildModel(snap, { consume: true }) takes each host out of the snapshot as it is built (so a
// large snapshot's texts are freed host by host) and builds the same model as without.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

describe('buildModel consuming its snapshot', () => {
  it('the same hosts, unprobed nodes and warnings; the snapshot left without hosts', async () => {
    const path = new URL('../../../examples/kubeadm-calico-ipip.json', import.meta.url).pathname;
    const kept = buildModel(await readSnapshot(path));
    const snap = await readSnapshot(path);
    const names = Object.keys(snap.hosts);
    const taken = buildModel(snap, { consume: true });
    assert.ok(names.length > 1);
    assert.deepEqual(Object.keys(snap.hosts), []);
    assert.deepEqual([...taken.hosts.keys()], [...kept.hosts.keys()]);
    for (const [name, h] of kept.hosts) {
      const t = taken.hosts.get(name)!;
      assert.deepEqual(t.routes, h.routes);
      assert.deepEqual(t.warnings, h.warnings);
      assert.deepEqual([...t.provenance], [...h.provenance]);
    }
    assert.deepEqual([...taken.unprobed], [...kept.unprobed]);
    assert.deepEqual(taken.warnings, kept.warnings);
  });
});
