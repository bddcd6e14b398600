// --active against real packets: a lab cluster (Calico VXLAN; Cilium native routing) behind the API
// server double, whose probe pods exec in the node namespaces. The LAN switch (a bridge) filters
// with bridge-family nftables, which no node's state shows: the static verdict stays REACHABLE,
// the kernel loses the pods' real traffic, and --active must find and localise each fault.
// IPIP: this kernel has no ipip module (no tunl0, so no plan sends IPIP); the proto-4 probe is a
// raw IP packet, run here from a plan written by hand, through the same runner and merge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { observe, activeFindings } from '../../src/checks/active/localise.ts';
import { captureFilter, PROBE_LIMITS } from '../../src/snapshot/active.ts';
import type { ActivePlan, UnderlayProbe } from '../../src/snapshot/active.ts';
import { runActive } from '../../src/collect/active/run.ts';
import { runCli } from '../apiserver/run-cli.ts';
import { activeIds, clusterFor, ids } from './active-cluster.ts';
import type { Cluster } from './active-cluster.ts';
import { labUnsupportedReason } from './harness/index.ts';
import { calicoHealthy, ciliumHealthy } from './incidents/base.ts';
import { objectsOf } from './incidents/objects.ts';

const skip = (await labUnsupportedReason()) ?? false;

/**
 * A plan written by hand (for shapes no lab node can plan: IPIP without an ipip module, ESP on
 * Calico), node-a to node-c and node-b, run through the runner: node-c's copy must be lost at
 * node-c, node-b's arrive, and the one finding is underlay-drops-encapsulation.
 */
async function handPlanToBAndC(c: Cluster, kind: 'ipip' | 'esp', run: number, standsFor: string) {
  const probe = (id: number, to: string, dst: string): UnderlayProbe => ({
    id,
    kind,
    purpose: 'reach',
    from: 'node-a',
    to,
    src: '192.168.1.11',
    dst,
    size: 96,
    df: true,
    count: 2,
    path: [
      { node: 'node-a', dev: 'eth0' },
      { node: to, dev: 'eth0' },
    ],
    standsFor,
  });
  const filter = captureFilter([kind], run, []);
  const plan: ActivePlan = {
    run,
    probes: [probe(1, 'node-c', '192.168.1.13'), probe(2, 'node-b', '192.168.1.12')],
    captures: [
      { node: 'node-a', dev: 'eth0', filter, expected: 4 },
      { node: 'node-b', dev: 'eth0', filter, expected: 2 },
      { node: 'node-c', dev: 'eth0', filter, expected: 2 },
    ],
    skipped: [],
    limits: PROBE_LIMITS,
  };
  const results = await runActive({ kubeconfig: c.double.kubeconfigPath, handleSignals: false }, plan);
  const obs = observe(plan, results);
  assert.deepEqual(
    obs.map((o) => `${o.probe.to} ${o.state}`),
    ['node-c lost', 'node-b arrived'],
    JSON.stringify(results, null, 1),
  );
  const fs = activeFindings(obs);
  assert.deepEqual(
    fs.map((f) => f.id),
    ['underlay-drops-encapsulation'],
  );
  assert.equal(c.double.pods('netcheck').length, 0, 'every probe pod deleted');
  return fs;
}

describe('--active on a Calico VXLAN lab cluster, the LAN switch filtering', { skip, concurrency: false }, () => {
  const cl = clusterFor(calicoHealthy);

  it('healthy: every probe arrives, no active finding; doctor stays HEALTHY (timed against doctor alone)', async () => {
    await cl().filter([]);
    const plain = await cl().cli(['doctor']);
    const active = await cl().cli(['doctor', '--active']);
    assert.equal(plain.doc.verdict, 'healthy', ids(plain.doc).join('\n'));
    assert.equal(active.doc.verdict, 'healthy', `${ids(active.doc).join('\n')}\n${active.stderr}`);
    assert.equal(active.code, 0);
    assert.equal(active.doc.active!.probes.length, 12);
    assert.ok(
      active.doc.active!.probes.every((p) => p.state === 'arrived'),
      JSON.stringify(active.doc.active, null, 1),
    );
    const p2p = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080']);
    const p2pActive = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080', '--active']);
    assert.deepEqual(activeIds(p2pActive.doc), []);
    const dry = await runCli(['collect', '--dry-run', '--active', '--kubeconfig', cl().double.kubeconfigPath]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /# netcheck --active --dry-run: nothing was sent\./);
    assert.match(
      dry.stdout,
      /probe 12 node-c → node-b: VXLAN UDP 4789 vni 16777214 192\.168\.1\.13 → 192\.168\.1\.12, 1500 bytes DF ×2/,
    );
    process.stdout.write(
      `# timing (3 nodes): doctor ${plain.ms} ms, doctor --active ${active.ms} ms (probing ${active.doc.active!.elapsedMs} ms); pod-to-pod ${p2p.ms} ms, pod-to-pod --active ${p2pActive.ms} ms (probing ${p2pActive.doc.active!.elapsedMs} ms)\n`,
    );
  });

  it('UDP 4789 dropped from node-a to node-c: static REACHABLE, the kernel loses it, --active localises it', async () => {
    await cl().filter(['ip saddr 192.168.1.11 ip daddr 192.168.1.13 udp dport 4789 drop']);
    const kernel = await cl().lab.send({ from: 'client-0', dst: '10.65.0.130', proto: 'udp', dport: 8080 });
    assert.equal(kernel.forwardDelivered, false, 'the switch drops the pods’ VXLAN');
    const plain = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080']);
    assert.equal(plain.doc.verdict, 'reachable');
    const r = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080', '--active']);
    assert.equal(r.doc.verdict, 'reachable', 'the static verdict is kept, next to the observation');
    // The pair's probes and the flow itself (sent from client-0) each disagree with the engine.
    assert.deepEqual(activeIds(r.doc), [
      'flow-not-answered node-c',
      'prediction-mismatch node-a',
      'prediction-mismatch node-a',
      'underlay-drops-encapsulation node-a',
    ]);
    const f = r.doc.findings.find((x) => x.id === 'underlay-drops-encapsulation')!;
    assert.match(
      f.summary,
      /node-a → node-c: left node-a eth0 as VXLAN \(UDP 4789\) 192\.168\.1\.11 → 192\.168\.1\.13 \(captured\), never reached node-c eth0: the network between them drops UDP 4789/,
    );
    assert.notEqual(r.code, 0);
    // doctor: that pair and direction only.
    const d = await cl().cli(['doctor', '--active']);
    assert.equal(d.doc.verdict, 'problems');
    assert.deepEqual(activeIds(d.doc), ['underlay-drops-encapsulation node-a']);
    assert.match(d.doc.findings.find((x) => x.id === 'underlay-drops-encapsulation')!.summary, /^node-a → node-c/);
  });

  it('only the reply direction dropped: reply-path-broken on the pair the reply crosses', async () => {
    await cl().filter(['ip saddr 192.168.1.13 ip daddr 192.168.1.11 udp dport 4789 drop']);
    const r = await cl().cli(['pod-to-pod', 'default/client-0', 'default/web-0', '--port', '8080', '--active']);
    assert.equal(r.doc.verdict, 'reachable');
    assert.deepEqual(activeIds(r.doc), [
      'flow-not-answered node-a',
      'prediction-mismatch node-a',
      'prediction-mismatch node-c',
      'reply-path-broken node-c',
      'underlay-drops-encapsulation node-c',
    ]);
  });

  it('frames over 1400 bytes dropped toward node-b: a path-MTU black hole, small packets pass', async () => {
    await cl().filter(['ip daddr 192.168.1.12 ip length > 1400 drop']);
    const small = await cl().lab.exec('client-0', ['ping', '-c', '1', '-W', '1', '-s', '100', '10.65.0.66']);
    const big = await cl().lab.exec('client-0', ['ping', '-c', '1', '-W', '1', '-M', 'do', '-s', '1400', '10.65.0.66']);
    assert.equal(small.code, 0, 'small pod packets pass');
    assert.notEqual(big.code, 0, 'a full-sized pod packet is lost');
    const d = await cl().cli(['doctor', '--active']);
    assert.deepEqual(activeIds(d.doc), ['path-mtu-black-hole node-a', 'path-mtu-black-hole node-c']);
    assert.match(
      d.doc.findings.find((x) => x.id === 'path-mtu-black-hole')!.summary,
      /a 1500-byte VXLAN \(UDP 4789\) packet with DF left node-a eth0 .* never reached node-b eth0, while 96-byte ones arrive/,
    );
  });

  it('IP protocol 4 dropped: a hand-made IPIP plan through the runner (no ipip module here)', async () => {
    await cl().filter(['ip protocol 4 ip daddr 192.168.1.13 drop']);
    const fs = await handPlanToBAndC(cl(), 'ipip', 0x4242, 'IPIP (IP protocol 4) from tunl0 (MTU 1480)');
    assert.match(fs[0]!.summary, /drops IP protocol 4$/);
  });

  it('WireGuard on (FelixConfiguration wireguardEnabled), UDP 51820 dropped node-a → node-c: the plan probes it, --active localises it', async () => {
    const felix = objectsOf(calicoHealthy()).felixConfigurations[0]!;
    const on = structuredClone(felix);
    Object.assign(on['spec'] as Record<string, unknown>, { wireguardEnabled: true });
    cl().double.seed('crd.projectcalico.org', 'v1', 'felixconfigurations', on);
    try {
      await cl().filter(['ip saddr 192.168.1.11 ip daddr 192.168.1.13 udp dport 51820 drop']);
      const d = await cl().cli(['doctor', '--active']);
      const wg = d.doc.active!.probes.filter((p) => p.kind === 'wireguard');
      assert.deepEqual(
        wg.map((p) => `${p.from}>${p.to} ${p.port} ${p.state}`),
        [
          'node-a>node-b 51820 arrived',
          'node-a>node-c 51820 lost',
          'node-b>node-a 51820 arrived',
          'node-b>node-c 51820 arrived',
          'node-c>node-a 51820 arrived',
          'node-c>node-b 51820 arrived',
        ],
        JSON.stringify(d.doc.active, null, 1),
      );
      assert.ok(d.doc.active!.probes.filter((p) => p.kind === 'vxlan').every((p) => p.state === 'arrived'));
      assert.deepEqual(activeIds(d.doc), ['underlay-drops-encapsulation node-a']);
      assert.match(
        d.doc.findings.find((x) => x.id === 'underlay-drops-encapsulation')!.summary,
        /^node-a → node-c: left node-a eth0 as WireGuard \(UDP 51820\) 192\.168\.1\.11 → 192\.168\.1\.13 \(captured\), never reached node-c eth0: the network between them drops UDP 51820$/,
      );
    } finally {
      cl().double.seed('crd.projectcalico.org', 'v1', 'felixconfigurations', felix);
    }
  });

  it('ESP (IP protocol 50) dropped toward node-c: a raw-socket ESP plan through the runner, localised', async () => {
    await cl().filter(['ip protocol 50 ip daddr 192.168.1.13 drop']);
    const fs = await handPlanToBAndC(
      cl(),
      'esp',
      0x4343,
      'IPsec (ESP, IP protocol 50): cilium-config: enable-ipsec: true',
    );
    assert.match(fs[0]!.summary, /as ESP \(IP protocol 50\) .* drops IP protocol 50 \(ESP\)$/);
  });
});

describe('--active on a routed lab cluster (Cilium native routing): anti-spoofing underlay', { skip }, () => {
  const cl = clusterFor(ciliumHealthy);

  it('healthy: no active finding', async () => {
    const d = await cl().cli(['doctor', '--active']);
    assert.deepEqual(activeIds(d.doc), []);
    assert.ok(d.doc.active!.probes.length > 0 && d.doc.active!.probes.every((p) => p.state === 'arrived'));
  });

  it('pod source addresses dropped between nodes: static REACHABLE, --active names the pair', async () => {
    await cl().filter(['ip saddr 10.0.0.0/16 drop']);
    const kernel = await cl().lab.send({ from: 'billing-0', dst: '10.0.3.21', proto: 'udp', dport: 8080 });
    assert.equal(kernel.forwardDelivered, false);
    const r = await cl().cli(['pod-to-pod', 'default/billing-0', 'default/orders-0', '--port', '8080', '--active']);
    assert.equal(r.doc.verdict, 'reachable');
    assert.deepEqual(activeIds(r.doc), [
      'flow-not-answered node-c',
      'prediction-mismatch node-a',
      'prediction-mismatch node-a',
      'prediction-mismatch node-c',
      'underlay-drops-pod-traffic node-a',
      'underlay-drops-pod-traffic node-c',
    ]);
    // The flow itself, sent from billing-0's namespace, is lost on the same wire.
    assert.match(
      r.doc.findings.find((x) => x.id === 'flow-not-answered')!.summary,
      /the packet left node-a eth0 \(captured\), never reached node-c eth0$/,
    );
    assert.match(
      r.doc.findings.find((x) => x.id === 'underlay-drops-pod-traffic' && x.node === 'node-a')!.summary,
      /node-a → node-c: left node-a eth0 as pod traffic 10\.0\.1\.34 → 10\.0\.3\.21 \(captured\), never reached node-c eth0/,
    );
  });
});
