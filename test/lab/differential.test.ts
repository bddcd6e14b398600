// Differential test: random scenarios on real hosts in network namespaces, each flow sent as a
// real packet and walked by the engine; they must agree on delivery, receiver, source address
// seen and the reply. Two templates: a routed network (differential/routed.ts) and an overlay
// cluster with Calico and flannel VXLAN, pods and a LAN host (differential/overlay.ts).
//
// NETCHECK_DIFF_SCENARIOS (default 200) is the total, split between the templates by their
// share; NETCHECK_DIFF_SEED (default 1) chooses the run; NETCHECK_DIFF_TEMPLATE=routed|overlay
// runs one. A disagreement prints the seed, the knobs and the engine's trace, so it reproduces.
//
// Agreement record (every flow of every scenario agreed): see docs/lab.md, "Differential test".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labUnsupportedReason, startLab } from './harness/index.ts';
import type { Lab } from './harness/index.ts';
import { compare, engineObservation, kernelObservation, worldOf } from './differential/compare.ts';
import { LAN_IP, OVERLAY, OVERLAY_NODES, OVERLAY_PROBED, overlayScenario } from './differential/overlay.ts';
import { ROUTED, routedScenario } from './differential/routed.ts';
import type { Rand, Scenario } from './differential/routed.ts';
import { mulberry32 } from '../fuzz/prng.ts';

const TOTAL = Number(process.env['NETCHECK_DIFF_SCENARIOS'] ?? 200);
const SEED = Number(process.env['NETCHECK_DIFF_SEED'] ?? 1);
const ONLY = process.env['NETCHECK_DIFF_TEMPLATE'];

interface Template {
  name: string;
  lab: Lab;
  /** Hosts the engine gets a probe of; the rest are the scenario's pods (and external hosts, if it names any). */
  probed: readonly string[];
  /** Hosts whose conntrack table is flushed between scenarios (every host that could NAT). */
  flush: readonly string[];
  /** Part of the total: the overlay scenario takes about twice as long (more hosts, 4 flows). */
  share: number;
  scenario: (r: Rand, seed: number) => Scenario;
  /** A probed host counted when the engine walks a flow across it that it neither sends nor answers (proof the path is exercised). */
  transit?: { host: string; ip: string };
}

const TEMPLATES: Template[] = [
  {
    name: 'routed',
    lab: ROUTED,
    probed: ['client', 'r1', 'r2', 'server'],
    flush: ['client', 'r1', 'r2', 'server'],
    share: 0.5,
    scenario: routedScenario,
  },
  {
    name: 'overlay',
    lab: OVERLAY,
    probed: OVERLAY_PROBED,
    flush: [...OVERLAY_NODES, 'lan'],
    share: 0.5,
    scenario: overlayScenario,
    transit: { host: 'lan', ip: LAN_IP },
  },
];

for (const [ti, tpl] of TEMPLATES.entries()) {
  if (ONLY !== undefined && ONLY !== tpl.name) continue;
  const count =
    ONLY !== undefined
      ? TOTAL
      : ti === TEMPLATES.length - 1
        ? TOTAL - TEMPLATES.slice(0, -1).reduce((n, t) => n + Math.round(TOTAL * t.share), 0)
        : Math.round(TOTAL * tpl.share);

  test(`engine agrees with the kernel on ${count} random ${tpl.name} scenarios (seed ${SEED})`, async (t) => {
    const unsupported = await labUnsupportedReason();
    if (unsupported !== undefined) {
      t.skip(unsupported);
      return;
    }
    const lab = await startLab(tpl.lab, { prefix: `diff-${tpl.name}` });
    const failures: string[] = [];
    let flows = 0;
    let unknown = 0;
    let transit = 0;
    const tally = new Map<string, number>();
    try {
      for (let i = 0; i < count; i++) {
        // Seeds of the two templates never coincide, so a seed names one scenario.
        const seed = SEED * 100_000 + ti * 50_000 + i;
        const sc = tpl.scenario(mulberry32(seed), seed);
        // Hosts are independent namespaces: each host's commands run in order, the hosts side by
        // side; the settle phase (neighbour-priming pings) only once every host is configured.
        for (const settle of [false, true]) {
          const byHost = new Map<string, Scenario['commands']>();
          for (const c of sc.commands)
            if ((c.settle === true) === settle) byHost.set(c.host, [...(byHost.get(c.host) ?? []), c]);
          await Promise.all(
            [...byHost.values()].map(async (cmds) => {
              for (const c of cmds) {
                const r = await lab.exec(c.host, c.argv, c.input !== undefined ? { input: c.input } : {});
                if (r.code !== 0 && c.mayFail !== true)
                  throw new Error(`scenario ${seed}: ${c.host}: ${c.argv.join(' ')}: ${r.startError ?? r.stderr}`);
              }
            }),
          );
        }
        // Earlier flows must not leave conntrack entries that decide later ones.
        await Promise.all(tpl.flush.map((h) => lab.exec(h, ['conntrack', '-F'])));
        const world = await worldOf(lab, tpl.probed, sc);
        for (const f of sc.flows) {
          flows++;
          const kernel = await kernelObservation(lab, f);
          const { obs: engine, trace } = engineObservation(world, f);
          if (engine.unknown === true) unknown++;
          if (
            tpl.transit !== undefined &&
            f.from !== tpl.transit.host &&
            f.dst !== tpl.transit.ip &&
            engine.crossed?.includes(tpl.transit.host) === true
          )
            transit++;
          const key = `${f.proto} ${kernel.forwardDelivered ? 'delivered' : 'lost'}/${kernel.replyDelivered ? 'answered' : 'unanswered'}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
          const d = compare(kernel, engine, f.proto);
          if (d.length > 0) {
            failures.push(
              [
                `scenario seed ${seed}: ${f.from} → ${f.dst} ${f.proto}${f.srcAddr ? ` from ${f.srcAddr}` : ''}`,
                ...d.map((x) => `  ${x}`),
                '  knobs:',
                ...sc.summary.map((s) => `    ${s}`),
                '  engine trace:',
                trace,
              ].join('\n'),
            );
          }
        }
      }
    } finally {
      await lab.stop();
    }
    t.diagnostic(
      `${count} ${tpl.name} scenarios, ${flows} flows (${unknown} answered unknown by the engine, each a disagreement${tpl.transit !== undefined ? `; ${transit} walked across ${tpl.transit.host} as a gateway` : ''}); kernel outcomes: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
    assert.equal(
      failures.length,
      0,
      `${failures.length} of ${flows} flows disagree:\n${failures.slice(0, 5).join('\n\n')}`,
    );
  });
}
