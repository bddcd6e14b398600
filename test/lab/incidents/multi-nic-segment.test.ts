// Issue #10 items 2 and 3 on the kernel (declarations and what they show: multi-nic-segment.ts).
// Two subnets on one switch: with the neighbour entries a working cluster has, netcheck follows
// node-a's VXLAN packets to node-b's NIC by the MAC in node-a's neighbour table, and agrees with
// the kernel both ways; without any entry it says unknown (naming what to collect), never
// unreachable. A tunnel bound to node-b's second NIC without `local`: the kernel sources it from
// the first NIC, the peers' allow-lists drop it, and `doctor` names node-b, the address, the
// peer's allow-list and the fix.
import { text } from '../../../src/model/render/said.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import type { World } from '../../../src/engine/world.ts';
import { buildModel } from '../../../src/model/model.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../../../src/snapshot/types.ts';
import type { HostEntry } from '../../../src/snapshot/types.ts';
import { labUnsupportedReason, startLab } from '../harness/index.ts';
import type { RunningLab } from '../harness/index.ts';
import type { ClusterDecl } from './cluster.ts';
import { labOf, machineHosts } from './cluster.ts';
import { DEV_BOUND_FLOWS, HEALTHY_FLOWS, WARM_UP, devBoundTunnel, twoSubnetsOneSegment } from './multi-nic-segment.ts';
import { objectsOf } from './objects.ts';
import { checkFlow } from './run.ts';
import { formatResults, probeHosts, traceCase, worldOf } from './scenario.ts';

const skip = (await labUnsupportedReason()) ?? false;

async function warmUp(lab: RunningLab): Promise<void> {
  for (const w of WARM_UP) {
    const r = await lab.exec(w.from, ['ping', '-c', '1', '-W', '1', w.dst]);
    assert.equal(r.code, 0, `${w.from}: ping ${w.dst}: ${r.stdout}${r.stderr}`);
  }
}

function doctorOf(d: ClusterDecl, entries: Record<string, HostEntry>) {
  const hosts = Object.fromEntries(d.nodes.map((n) => [n.name, entries[n.name]!]));
  const model = buildModel({
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    capturedAt: new Date().toISOString(),
    context: `lab-${d.name}`,
    objects: objectsOf(d),
    hosts,
  });
  return doctor(analysisContext(model));
}

/** Builds the lab before the suite's tests, warms the neighbour tables, probes every machine. */
function labFixture(d: ClusterDecl, prefix: string) {
  const fx: { lab?: RunningLab; entries: Record<string, HostEntry>; world?: World } = { entries: {} };
  before(async () => {
    fx.lab = await startLab(labOf(d), { prefix });
    await warmUp(fx.lab);
    fx.entries = await probeHosts(fx.lab, machineHosts(d));
    fx.world = worldOf(d, fx.entries);
  });
  after(async () => {
    await fx.lab?.stop();
  });
  return fx;
}

describe('two IP subnets on one L2 segment (healthy)', { skip }, () => {
  const d = twoSubnetsOneSegment;
  const fx = labFixture(d, 'twosubnets');

  for (const f of HEALTHY_FLOWS)
    it(`${f.label} [${f.proto} ${f.from} → ${f.dst}:${f.dport}]`, () => checkFlow(fx.lab!, d, fx.world!, f));

  it("node-a hands the VXLAN packet to node-b's NIC named by its neighbour entry", () => {
    const trace = formatResults(traceCase(d, fx.world!, HEALTHY_FLOWS[0]!));
    assert.match(
      trace,
      /node-a's neighbour entry "192\.168\.3\.12 dev eth0 lladdr [0-9a-f:]+ \w+": [0-9a-f:]+ is eth[01] of node-b/,
      trace,
    );
  });

  it('doctor: healthy', () => {
    const r = doctorOf(d, fx.entries);
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.id} ${f.node ?? ''}: ${f.summary}`),
      [],
    );
  });

  it("without node-a's neighbour entry: unknown, naming what to collect — never unreachable", async () => {
    const r = await fx.lab!.exec('node-a', ['ip', 'neigh', 'flush', 'to', '192.168.3.12', 'dev', 'eth0']);
    assert.equal(r.code, 0, r.stderr);
    const cold = worldOf(d, { ...fx.entries, 'node-a': await fx.lab!.probe('node-a') });
    const results = traceCase(d, cold, HEALTHY_FLOWS[0]!);
    const fwd = results[0]!.forward;
    assert.equal(fwd.verdict, 'unknown', formatResults(results));
    assert.equal(fwd.decisive?.node, 'node-a');
    assert.match(text(fwd.decisive?.detail ?? ''), /ip neigh show 192\.168\.3\.12 dev eth0/);
    // The kernel resolves it again and delivers: unknown was the honest answer.
    await checkFlow(fx.lab!, d, fx.world!, HEALTHY_FLOWS[0]!);
  });
});

describe('tunnel bound to the second NIC without local: outer source from the first NIC', { skip }, () => {
  const d = devBoundTunnel;
  const fx = labFixture(d, 'devbound');

  for (const f of DEV_BOUND_FLOWS)
    it(`${f.label} [${f.proto} ${f.from} → ${f.dst}:${f.dport}]`, () => checkFlow(fx.lab!, d, fx.world!, f));

  it("doctor names node-b, the address the kernel uses, the peers' allow-list and the fix", () => {
    const r = doctorOf(d, fx.entries);
    const found = r.findings.filter((f) => f.id === 'tunnel-source-mismatch');
    assert.deepEqual(
      found.map((f) => f.node),
      ['node-b', 'node-b'],
      JSON.stringify(r.findings, null, 1),
    );
    for (const [f, peer] of found.map((f, i) => [f, ['node-a', 'node-c'][i]!] as const)) {
      assert.match(
        f.summary,
        new RegExp(`node-b sends VXLAN traffic to ${peer} \\(192\\.168\\.1\\.1[13]\\) from 192\\.168\\.1\\.12`),
      );
      assert.match(f.summary, new RegExp(`192\\.168\\.1\\.12 is not in ${peer}'s allow-list cali40all-vxlan-net`));
      const ev = f.evidence.join('\n');
      assert.match(ev, /"dev eth1" of vxlan\.calico does not bind it/);
      assert.match(ev, /dev vxlan\.calico dst 192\.168\.1\.1[13] self permanent/);
      assert.match(f.fix, /create vxlan\.calico with `local 192\.168\.3\.12`/);
    }
  });
});
