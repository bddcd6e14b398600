// kube-proxy IPVS mode: which virtual server takes the packet and which real servers a new
// connection can get. The kernel here has no IPVS, so the states are real outputs recorded by
// others (test/fixtures/netfilter/README.md): sessionAffinity's `-p 10800` from a kube-router
// node, graceful termination's weight 0 from kubernetes/kubernetes#99162.
import { text } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findVirtualServer, scheduleNew } from '../../../src/engine/ipvs.ts';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { buildWorld } from '../../../src/engine/world-from-model.ts';
import { parseIpv4 } from '../../../src/lib/ipv4.ts';
import { buildModel } from '../../../src/model/model.ts';
import { parseIpvsadmSave } from '../../../src/model/parse/ipvsadm.ts';
import { parseIpvsadmList } from '../../../src/model/parse/ipvsadm-list.ts';
import { decodeSnapshot } from '../../../src/snapshot/io.ts';
import type { Packet } from '../../../src/engine/packet.ts';
import { recordedIpvsadm } from '../../fixtures/netfilter.ts';

function packet(src: string, dst: string, dport: number, extra: Partial<Packet> = {}): Packet {
  return {
    src: parseIpv4(src)!,
    dst: parseIpv4(dst)!,
    proto: 'tcp',
    sport: 40000,
    dport,
    mark: 0,
    connmark: 0,
    length: 60,
    ...extra,
  };
}

const affinity = parseIpvsadmSave(recordedIpvsadm('kube-router-notes.ipvsadm-S.txt')).value;
const graceful = parseIpvsadmList(recordedIpvsadm('kube-proxy-graceful.ipvsadm-Ln.txt'));

test('ipvsadm -Ln: services, weights and forwarding read from the listing', () => {
  assert.deepEqual(graceful.warnings, []);
  assert.equal(graceful.value.length, 1);
  const svc = graceful.value[0]!;
  assert.deepEqual(
    [svc.protocol, svc.address, svc.port, svc.scheduler, svc.persistent],
    ['tcp', '192.168.1.2', 30232, 'rr', false],
  );
  assert.equal(svc.realServers.length, 10);
  assert.deepEqual(
    svc.realServers.filter((r) => r.weight === 0).map((r) => `${r.address}:${r.port} ${r.method}`),
    ['11.0.4.9:80 masq'],
  );
});

test('ipvsadm -Ln: "persistent N" is the service\'s persistence; other listings are refused', () => {
  // ipvsadm.c print_service_entry(): "%s  %s %s" then " persistent %u".
  const r = parseIpvsadmList('TCP  10.1.21.161:8080 rr persistent 10800\n  -> RemoteAddress:Port x\n');
  assert.deepEqual([r.value[0]?.persistent, r.value[0]?.persistenceTimeout], [true, 10800]);
  assert.match(r.warnings[0] ?? '', /not the default columns/);
});

test("the virtual server: <protocol, address, port>; a packet for another port is not IPVS's", () => {
  assert.equal(findVirtualServer(affinity, packet('10.2.1.7', '10.1.21.161', 8080))?.port, 8080);
  assert.equal(findVirtualServer(affinity, packet('10.2.1.7', '10.1.21.161', 8081)), undefined);
  assert.equal(findVirtualServer(affinity, packet('10.2.1.7', '10.1.21.161', 8080, { proto: 'udp' })), undefined);
});

test('sessionAffinity ClientIP (-p 10800): every real server, each branch saying the client is taken as new', () => {
  const svc = findVirtualServer(affinity, packet('10.2.1.7', '10.1.21.161', 8080))!;
  const plan = scheduleNew(svc, '10.2.1.7');
  assert.equal(plan.kind, 'servers');
  if (plan.kind !== 'servers') return;
  assert.equal(plan.servers.length, 5);
  assert.equal(plan.assumed.length, 1);
  assert.match(
    plan.assumed[0]!,
    /persistent \(-p 10800.*10\.2\.1\.7 taken as a new client.*ipvsadm -Lnc is not collected/,
  );
  // Without persistence nothing is assumed.
  const api = scheduleNew(affinity[0]!, '10.2.1.7');
  assert.deepEqual(api.kind === 'servers' ? api.assumed : undefined, []);
});

test('graceful termination: a real server of weight 0 gets no new connection; all at 0 is a rejection', () => {
  const svc = graceful.value[0]!;
  const plan = scheduleNew(svc, '192.168.1.9');
  assert.equal(plan.kind, 'servers');
  if (plan.kind !== 'servers') return;
  assert.equal(plan.servers.length, 9);
  assert.ok(!plan.servers.some((r) => r.address === '11.0.4.9'));
  const draining = { ...svc, realServers: svc.realServers.filter((r) => r.weight === 0) };
  const none = scheduleNew(draining, '192.168.1.9');
  assert.equal(none.kind, 'none');
  assert.match(
    none.kind === 'none' ? none.detail : '',
    /every real server .* has weight 0 \(11\.0\.4\.9:80: terminating/,
  );
});

test('a forwarding method other than masquerading is not walked: unknown, not a verdict', () => {
  const svc = graceful.value[0]!;
  const routed = { ...svc, realServers: [{ ...svc.realServers[0]!, method: 'gate' as const }] };
  const plan = scheduleNew(routed, '192.168.1.9');
  assert.equal(plan.kind, 'not-modelled');
});

// The IPVS-mode example cluster (its ipvsadm section is generated from the Services: README),
// with the web Service made persistent and one endpoint draining, walked from client-0 through
// node-a's IPVS.
test('walk: client-0 → web ClusterIP on an IPVS node, persistent, one endpoint at weight 0', () => {
  const snap = decodeSnapshot(
    readFileSync(new URL('../../../examples/externalip-node-address.json', import.meta.url)),
    'externalip-node-address',
  );
  const a = snap.hosts['node-a']!;
  a.sections['ipvsadm'] = a.sections['ipvsadm']!.replace(
    '-A -t 10.96.120.15:80 -s rr',
    '-A -t 10.96.120.15:80 -s rr -p 10800',
  ).replace('-a -t 10.96.120.15:80 -r 10.65.0.66:8080 -m -w 1', '-a -t 10.96.120.15:80 -r 10.65.0.66:8080 -m -w 0');
  const m = buildModel(snap);
  const world = buildWorld([...m.hosts.values()], m.cluster);
  const client = world.pods.find((p) => p.name === 'default/client-0')!;
  const results = traceFlow(
    world,
    { evaluate: evaluateHook },
    { kind: 'pod', pod: client },
    packet('0.0.0.0', '10.96.120.15', 80, { src: client.ip }),
  );
  assert.equal(results.length, 1, 'the weight-0 real server is no branch');
  const f = results[0]!.forward;
  // (Past node-a the example's own fault decides: node-b and node-c hold 192.168.1.11 on kube-ipvs0.)
  assert.deepEqual(
    f.hops.filter((h) => h.step === 'ipvs').map((h) => `${h.node} ${text(h.detail)}`),
    ['node-a IPVS 10.96.120.15:80 → 10.65.0.130:8080'],
  );
  assert.ok(
    f.branch.some((b) => /persistent \(-p 10800/.test(b)),
    f.branch.join('\n'),
  );

  a.sections['ipvsadm'] = a.sections['ipvsadm']!.replace(
    '-a -t 10.96.120.15:80 -r 10.65.0.130:8080 -m -w 1',
    '-a -t 10.96.120.15:80 -r 10.65.0.130:8080 -m -w 0',
  );
  const m2 = buildModel(snap);
  const [r] = traceFlow(
    buildWorld([...m2.hosts.values()], m2.cluster),
    { evaluate: evaluateHook },
    { kind: 'pod', pod: client },
    packet('0.0.0.0', '10.96.120.15', 80, { src: client.ip }),
  );
  assert.equal(r!.forward.verdict, 'rejected');
  assert.equal(r!.forward.decisive?.reason?.kind, 'ipvs-no-real-server');
});
