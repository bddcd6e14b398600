// The bundled examples (examples/*.json, captured from the incident labs) analysed the way the
// commands analyse a snapshot: only the nodes were probed, the LAN host is an external address
// whose packets enter where the LAN router sends them. Every flow of each incident must come out
// as the kernel did it in the lab (test/lab/incidents/), from the snapshot alone.
import { text, texts } from '../../../src/model/render/said.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterInfo } from '../../../src/model/cluster.ts';
import { buildHostState } from '../../../src/model/host.ts';
import { buildWorld } from '../../../src/engine/world-from-model.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { Endpoint } from '../../../src/engine/walk.ts';
import type { ExternalEndpoint, World } from '../../../src/engine/world.ts';
import { cidrContains, parseCidr4, parseIpv4 } from '../../../src/lib/ipv4.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import type { ClusterDecl } from '../../lab/incidents/cluster.ts';
import { SCENARIOS } from '../../lab/incidents/index.ts';
import { decisiveHop, engineObservation, enginePacket, formatResults } from '../../lab/incidents/scenario.ts';
import type { FlowCase } from '../../lab/incidents/scenario.ts';

/** The node a LAN host's packet for `dst` reaches first: the router's route for it, else the node owning it. */
function entryNode(d: ClusterDecl, dst: string): string | undefined {
  const ip = parseIpv4(dst)!;
  let best: { len: number; via: string } | undefined;
  for (const r of d.router.routes) {
    const m = /^(\S+) via (\S+)/.exec(r);
    const c = m !== null ? parseCidr4(m[1]!) : undefined;
    if (m === null || c === undefined || !cidrContains(c, ip)) continue;
    if (best === undefined || c.len > best.len) best = { len: c.len, via: m[2]! };
  }
  const target = best?.via ?? dst;
  return d.nodes.find((n) => n.nics.some((x) => x.addr.split('/')[0] === target))?.name;
}

function endpoint(d: ClusterDecl, world: World, f: FlowCase): Endpoint | undefined {
  const pod = d.pods.find((p) => p.name === f.from);
  if (pod !== undefined) {
    const ep = world.pods.find((p) => p.name === `${pod.namespace}/${pod.name}`);
    return ep === undefined ? undefined : { kind: 'pod', pod: ep };
  }
  if (d.nodes.some((n) => n.name === f.from)) return { kind: 'host', host: f.from, ip: 0 };
  const lan = d.lanHosts.find((l) => l.name === f.from);
  const entry = entryNode(d, f.dst);
  if (lan === undefined || entry === undefined) return undefined;
  const ext: ExternalEndpoint = { name: lan.name, ip: parseIpv4(lan.addr.split('/')[0]!)!, entry: { host: entry } };
  return { kind: 'external', external: ext };
}

for (const s of SCENARIOS) {
  describe(`examples/${s.decl.name}.json`, async () => {
    const snap = await readSnapshot(`examples/${s.decl.name}.json`);
    const cluster = clusterInfo(snap.objects);
    const states = Object.entries(snap.hosts).map(([name, e]) => buildHostState(name, e));
    const externals = s.decl.lanHosts.map((l) => ({ name: l.name, ip: parseIpv4(l.addr.split('/')[0]!)! }));

    it('holds every node, pod and service of the declaration', () => {
      assert.deepEqual(Object.keys(snap.hosts), s.decl.nodes.map((n) => n.name).sort());
      // The declared pods; CNI agents run on the host network, one per node (agentImage).
      assert.deepEqual(
        cluster.pods
          .filter((p) => !p.hostNetwork)
          .map((p) => `${p.namespace}/${p.name} ${p.ips.join()} ${p.node ?? ''}`)
          .sort(),
        s.decl.pods.map((p) => `${p.namespace}/${p.name} ${p.ip} ${p.node}`).sort(),
      );
      assert.deepEqual(
        cluster.nodes.map((n) => `${n.name} ${n.internalIPs.join()}`).sort(),
        s.decl.nodes.map((n) => `${n.name} ${n.ip}`).sort(),
      );
      for (const st of states) assert.deepEqual(st.warnings, [], `${st.name}: parser warnings`);
    });

    for (const f of s.flows) {
      it(`${f.label}`, () => {
        const world = buildWorld(states, cluster, externals);
        const from = endpoint(s.decl, world, f);
        assert.ok(from !== undefined, `cannot place ${f.from} in the snapshot's world`);
        const p = enginePacket(f);
        if (from.kind === 'pod') p.src = from.pod.ip;
        if (from.kind === 'external') p.src = from.external.ip;
        const results = traceFlow(world, { evaluate: evaluateHook }, from, p);
        const obs = engineObservation(results);
        const trace = formatResults(results);
        if (f.crossesRouter === true) {
          // node-a → 192.168.3.12 goes through the LAN router, which a snapshot of nodes lacks.
          assert.equal(results[0]?.forward.verdict, 'unknown', trace);
          assert.match(text(results[0]?.forward.decisive?.detail ?? ''), /did not probe/, trace);
          return;
        }
        if (f.proto === 'udp' || f.expect.forward) assert.equal(obs.forwardDelivered, f.expect.forward, trace);
        assert.equal(obs.replyDelivered, f.expect.reply, trace);
        if (f.expect.receivedBy !== undefined) assert.equal(obs.receivedBy, f.expect.receivedBy, trace);
        if (f.expect.seenSrc !== undefined) assert.equal(obs.seenSrc, f.expect.seenSrc, trace);
        const want = f.decisive;
        if (want !== undefined && s.decl.nodes.some((n) => n.name === want.node)) {
          const { hop } = decisiveHop(results, want);
          assert.ok(hop !== undefined, trace);
          assert.deepEqual([hop.node, hop.step], [want.node, want.step], trace);
          assert.ok(
            texts(hop.evidence).some((e) => e.includes(want.evidence)) || text(hop.detail).includes(want.evidence),
            trace,
          );
        }
      });
    }
  });
}
