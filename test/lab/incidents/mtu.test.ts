// MTU along the path, with real packets: on the Calico VXLAN lab with the pods' devices at 1500
// (vxlan.calico 1450, the underlay 1500: the pod-mtu-above-tunnel fault), `ping -M do` (Don't
// Fragment) from client-0 on node-a to web-1 on node-b at the largest size that fits the tunnel,
// one byte more, and without DF. The kernel's answer (and its "Frag needed ... mtu = 1450" from
// node-a) must be what the engine says for the same size from the probed snapshot: the hop, the
// device and its MTU; doctor names the pods' devices. With the pods at 1450, as the installers set
// them, the pod itself refuses the larger packet and doctor is quiet.
import { text } from '../../../src/model/render/said.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceFlow } from '../../../src/engine/flow.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../../src/engine/world.ts';
import { flowPacket } from '../../../src/checks/flow/packet-spec.ts';
import { labUnsupportedReason, sharedLab } from '../harness/index.ts';
import { calicoHealthy } from './base.ts';
import { labOf, machineHosts } from './cluster.ts';
import { doctorOf, probeHosts, worldOf } from './scenario.ts';
import type { HostEntry } from '../../../src/snapshot/types.ts';

const skip = (await labUnsupportedReason()) ?? false;
const CLIENT = { name: 'client-0', ip: '10.65.0.2' };
const WEB1 = '10.65.0.66';
/** ping -s N sends N bytes of data in an 8-byte ICMP header and a 20-byte IP header. */
const ICMP_IP = 28;

describe('MTU along a VXLAN path: ping -M do against the engine', { skip }, () => {
  let world: World | undefined;
  const d = calicoHealthy();
  d.name = 'mtu';
  d.podMtu = 1500;
  let entries: Record<string, HostEntry> = {};
  const lab = sharedLab(
    () => labOf(d),
    { prefix: 'mtu' },
    async (l) => {
      entries = await probeHosts(l, machineHosts(d));
      world = worldOf(d, entries);
    },
  );

  async function ping(size: number, df: boolean): Promise<{ ok: boolean; out: string }> {
    const r = await lab().exec(CLIENT.name, [
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      '-M',
      df ? 'do' : 'dont',
      '-s',
      String(size - ICMP_IP),
      WEB1,
    ]);
    return { ok: r.code === 0, out: `${r.stdout}${r.stderr}` };
  }

  function engine(size: number, df: boolean) {
    const from = world!.pods.find((p) => p.name === `default/${CLIENT.name}`)!;
    const r = traceFlow(
      world!,
      { evaluate: evaluateHook },
      { kind: 'pod', pod: from },
      flowPacket(CLIENT.ip, WEB1, 'icmp', undefined, { size, df }),
    )[0]!;
    return { delivered: r.forward.verdict === 'delivered' && r.reply?.verdict === 'delivered', trace: r.forward };
  }

  it('1450 bytes with DF: fits vxlan.calico; both say delivered', async () => {
    const k = await ping(1450, true);
    assert.ok(k.ok, k.out);
    assert.equal(engine(1450, true).delivered, true);
  });

  it('1451 bytes with DF: node-a refuses it at vxlan.calico (mtu 1450); the engine names that hop', async () => {
    const k = await ping(1451, true);
    assert.equal(k.ok, false, k.out);
    assert.match(k.out, /mtu = 1450/);
    const e = engine(1451, true);
    assert.equal(e.delivered, false);
    const last = e.trace.hops.at(-1)!;
    assert.deepEqual(
      [last.node, last.device, last.reason],
      ['node-a', 'vxlan.calico', { kind: 'mtu-exceeded', mtu: 1450 }],
    );
  });

  it('1500 bytes without DF: fragmented, delivered; the engine too', async () => {
    const k = await ping(1500, false);
    assert.ok(k.ok, k.out);
    const e = engine(1500, false);
    assert.equal(e.delivered, true);
    assert.ok(e.trace.hops.some((h) => /fragmented/.test(text(h.detail))));
  });

  it("doctor: every node's pod device at 1500 above vxlan.calico's 1450", () => {
    const r = doctorOf(d, entries);
    const got = r.findings.filter((f) => f.id === 'pod-mtu-above-tunnel');
    assert.deepEqual(got.map((f) => f.node).sort(), ['node-a', 'node-b', 'node-c']);
    assert.ok(got.every((f) => f.evidence.some((e) => /vxlan\.calico: mtu 1450/.test(e))));
    assert.ok(got.every((f) => f.evidence.some((e) => /cali\w+: mtu 1500/.test(e))));
  });
});

describe('MTU: pods at the tunnel MTU, as installers set them', { skip }, () => {
  let entries: Record<string, HostEntry> = {};
  const d = calicoHealthy();
  d.name = 'mtu-1450';
  const lab = sharedLab(
    () => labOf(d),
    { prefix: 'mtu1450' },
    async (l) => {
      entries = await probeHosts(l, machineHosts(d));
    },
  );

  it('1450 bytes with DF cross the tunnel; 1451 never leave the pod (message too long, mtu 1450); the engine says so', async () => {
    const ping = (size: number) =>
      lab().exec(CLIENT.name, ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(size - ICMP_IP), WEB1]);
    const fits = await ping(1450);
    assert.equal(fits.code, 0, `${fits.stdout}${fits.stderr}`);
    const big = await ping(1451);
    assert.notEqual(big.code, 0);
    assert.match(`${big.stdout}${big.stderr}`, /message too long, mtu=1450/);
    const world = worldOf(d, entries);
    const from = world.pods.find((p) => p.name === `default/${CLIENT.name}`)!;
    const trace = (size: number) =>
      traceFlow(
        world,
        { evaluate: evaluateHook },
        { kind: 'pod', pod: from },
        flowPacket(CLIENT.ip, WEB1, 'icmp', undefined, { size, df: true }),
      )[0]!;
    assert.equal(trace(1450).reply?.verdict, 'delivered');
    const t = trace(1451).forward;
    assert.deepEqual(
      [t.verdict, t.decisive?.node, t.decisive?.step, t.decisive?.reason],
      ['dropped', 'node-a', 'enter', { kind: 'mtu-exceeded', mtu: 1450 }],
    );
  });

  it('doctor: no pod-mtu-above-tunnel', () => {
    assert.deepEqual(
      doctorOf(d, entries).findings.filter((f) => f.id === 'pod-mtu-above-tunnel'),
      [],
    );
  });
});
