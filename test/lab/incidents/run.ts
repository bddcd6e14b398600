// The lab test of a scenario: build it, probe every machine with the real probe, build the
// Model and World, then for each flow send a real packet, check the kernel does what the scenario
// says (so the lab really reproduces the incident), trace the flow with the engine, and require
// that both agree — and that the hop deciding the fault quotes the line responsible.
import { text, texts } from '../../../src/model/render/said.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlowResult } from '../../../src/engine/trace.ts';
import type { World } from '../../../src/engine/world.ts';
import { labUnsupportedReason, startLab } from '../harness/index.ts';
import type { RunningLab } from '../harness/index.ts';
import { labOf, machineHosts } from './cluster.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';
import {
  decisiveHop,
  disagreements,
  engineObservation,
  formatResults,
  kernelObservation,
  probeHosts,
  traceCase,
  unexpected,
  worldOf,
} from './scenario.ts';

const skip = (await labUnsupportedReason()) ?? false;

export function scenarioTests(s: Scenario): void {
  describe(s.title, { skip }, () => {
    let lab: RunningLab | undefined;
    let world: World | undefined;
    const machines = machineHosts(s.decl);

    before(async () => {
      lab = await startLab(labOf(s.decl), { prefix: s.decl.name.replace(/[^A-Za-z0-9]/g, '_').slice(0, 16) });
      world = worldOf(s.decl, await probeHosts(lab, machines));
    });
    after(async () => {
      await lab?.stop();
    });

    for (const f of s.flows) {
      it(`${f.label} [${f.proto} ${f.from} → ${f.dst}:${f.dport}]`, () => checkFlow(lab!, s.decl, world!, f));
    }
  });
}

/**
 * One flow of a scenario: the kernel must do what the flow says, the engine must agree with it,
 * and the hop deciding a fault must quote the line responsible.
 */
export async function checkFlow(lab: RunningLab, decl: ClusterDecl, world: World, f: FlowCase): Promise<void> {
  // Earlier flows must not leave conntrack entries that decide this one.
  await Promise.all(machineHosts(decl).map((h) => lab.exec(h, ['conntrack', '-F'])));
  const kernel = await kernelObservation(lab, f);
  const results = traceCase(decl, world, f);
  const trace = formatResults(results);
  assert.deepEqual(
    unexpected(kernel, f),
    [],
    `the lab does not behave as the scenario says\nkernel: ${JSON.stringify(kernel)}\nengine trace:\n${trace}`,
  );
  // A Service's endpoints are load-balancing branches: the kernel took one of them, at random.
  // Each branch must be one the kernel could take (delivered, answered); the kernel's is compared.
  const engine = engineObservation(kernelsBranch(results, kernel.receivedBy));
  if (results.length > 1)
    assert.ok(
      results.every((r) => r.forward.verdict === results[0]!.forward.verdict),
      `the engine's branches differ in verdict\n${trace}`,
    );
  assert.deepEqual(
    disagreements(kernel, engine, f.proto),
    [],
    `engine and kernel disagree\nkernel: ${JSON.stringify(kernel)}\nengine: ${JSON.stringify(engine)}\n${trace}`,
  );
  if (f.decisive !== undefined) {
    const { hop } = decisiveHop(results, f.decisive);
    assert.ok(hop !== undefined, `no deciding hop on the ${f.decisive.direction} trace\n${trace}`);
    assert.equal(hop.node, f.decisive.node, trace);
    assert.equal(hop.step, f.decisive.step, trace);
    assert.ok(
      texts(hop.evidence).some((e) => e.includes(f.decisive!.evidence)) ||
        text(hop.detail).includes(f.decisive.evidence),
      `the deciding hop does not quote "${f.decisive.evidence}": ${JSON.stringify(hop, null, 1)}`,
    );
  }
}

/** The branch that reached the host the kernel delivered to, when the engine load-balances. */
function kernelsBranch(results: FlowResult[], receivedBy: string | undefined): FlowResult[] {
  if (results.length <= 1 || receivedBy === undefined) return results;
  const mine = results.find((r) => r.forward.deliveredTo?.endsWith(`/${receivedBy}`) === true);
  return mine !== undefined ? [mine] : results;
}
