// Differential test: random scenarios on real hosts in network namespaces, each flow sent as a
// real packet and walked by the engine; they must agree on delivery, receiver, source address
// seen and the reply. NETCHECK_DIFF_SCENARIOS (default 200) and NETCHECK_DIFF_SEED choose the run;
// a disagreement prints the seed, the knobs and the engine's trace, so it reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labUnsupportedReason, startLab } from './harness/index.ts';
import { compare, engineObservation, kernelObservation, worldOf } from './differential/compare.ts';
import { ROUTED, routedScenario } from './differential/routed.ts';
import { mulberry32 } from '../fuzz/prng.ts';

const COUNT = Number(process.env['NETCHECK_DIFF_SCENARIOS'] ?? 200);
const SEED = Number(process.env['NETCHECK_DIFF_SEED'] ?? 1);

test(`engine agrees with the kernel on ${COUNT} random routed scenarios (seed ${SEED})`, async (t) => {
  const unsupported = await labUnsupportedReason();
  if (unsupported !== undefined) {
    t.skip(unsupported);
    return;
  }
  const lab = await startLab(ROUTED, { prefix: 'diff' });
  const hosts = ROUTED.hosts.map((h) => h.name);
  const failures: string[] = [];
  let flows = 0;
  const tally = new Map<string, number>();
  try {
    for (let i = 0; i < COUNT; i++) {
      const seed = SEED * 100_000 + i;
      const sc = routedScenario(mulberry32(seed), seed);
      for (const c of sc.commands) {
        const r = await lab.exec(c.host, c.argv, c.input !== undefined ? { input: c.input } : {});
        if (r.code !== 0 && c.mayFail !== true) throw new Error(`scenario ${seed}: ${c.host}: ${c.argv.join(' ')}: ${r.startError ?? r.stderr}`);
      }
      // Earlier flows must not leave conntrack entries that decide later ones.
      await Promise.all(hosts.map((h) => lab.exec(h, ['conntrack', '-F'])));
      const world = await worldOf(lab, hosts);
      for (const f of sc.flows) {
        flows++;
        const kernel = await kernelObservation(lab, f);
        const { obs: engine, trace } = engineObservation(world, f);
        const key = `${f.proto} ${kernel.forwardDelivered ? 'delivered' : 'lost'}/${kernel.replyDelivered ? 'answered' : 'unanswered'}`;
        tally.set(key, (tally.get(key) ?? 0) + 1);
        const d = compare(kernel, engine, f.proto);
        if (d.length > 0) {
          failures.push(
            [`scenario seed ${seed}: ${f.from} → ${f.dst} ${f.proto}${f.srcAddr ? ` from ${f.srcAddr}` : ''}`, ...d.map((x) => `  ${x}`), '  knobs:', ...sc.summary.map((s) => `    ${s}`), '  engine trace:', trace].join('\n'),
          );
        }
      }
    }
  } finally {
    await lab.stop();
  }
  t.diagnostic(`${COUNT} scenarios, ${flows} flows; kernel outcomes: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  assert.equal(failures.length, 0, `${failures.length} of ${flows} flows disagree:\n${failures.slice(0, 5).join('\n\n')}`);
});
