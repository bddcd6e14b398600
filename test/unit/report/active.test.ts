// The report's active part in text: a probe that did not arrive is listed with its path marked,
// the ones captured everywhere are folded into a count (-o wide lists them); the dry run lists
// every probe, capture and the sender program.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeActive } from '../../../src/checks/active/merge.ts';
import { planProbes } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { buildModel } from '../../../src/model/model.ts';
import { planText } from '../../../src/report/active.ts';
import { renderReport } from '../../../src/report/render.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { observedRun } from '../../helpers/active-results.ts';

const ctx = analysisContext(buildModel(await readSnapshot('examples/healthy.json')));
const plan = planProbes(ctx, {}, 0x1234);
const results = observedRun(plan, (id) => id === 3);
const doc = mergeActive(doctor(ctx), plan, results);
const render = (format: 'table' | 'wide') =>
  renderReport(doc, format, { isTTY: false, columns: 100 }, { colour: false, env: {}, allBranches: false });

test('table: the lost probe with its path marked, the rest folded', () => {
  const out = render('table');
  assert.match(out, /Active probes \(12, 1\.5 s\): 11 arrived/);
  assert.match(out, /✘ probe 3 node-a → node-c: VXLAN UDP 4789 vni 16777214 192\.168\.1\.11 → 192\.168\.1\.13/);
  assert.match(out, /lost; node-a eth0 ✔ → node-c eth0 ✘/);
  assert.match(out, /\(11 probe\(s\) captured at every point: -o wide lists them\)/);
  assert.doesNotMatch(out, /probe 4 node-a/);
});

test('wide: every probe', () => {
  assert.equal(render('wide').match(/^ {2}[✔✘] probe \d+/gm)?.length, 12);
});

test('dry run: every probe with its path, every capture, the sender program', () => {
  const out = planText(plan);
  assert.equal(out.match(/^probe \d+ /gm)?.length, 12);
  assert.equal(out.match(/^capture on node-[abc]: timeout -s INT 8 tcpdump -Z root -i eth0 /gm)?.length, 3);
  assert.equal(out.match(/^sender on node-[abc]: python3 -c PROGRAM '\{"run":4660/gm)?.length, 3);
  assert.match(out, /^# {3}\| print\(json\.dumps\(out\)\)$/m);
});
