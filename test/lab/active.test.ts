// --active against real packets: a lab cluster (Calico VXLAN; Cilium native routing) behind the API
// server double, whose probe pods exec in the node namespaces. The LAN switch (a bridge) filters
// with bridge-family nftables, which no node's state shows: the static verdict stays REACHABLE,
// the kernel loses the pods' real traffic, and --active must find and localise each fault.
// IPIP: this kernel has no ipip module (no tunl0, so no plan sends IPIP); the proto-4 probe is a
// raw IP packet, run here from a plan written by hand, through the same runner and merge.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { observe, activeFindings } from '../../src/checks/active/localise.ts';
import { captureFilter, PROBE_LIMITS } from '../../src/snapshot/active.ts';
import type { ActivePlan, UnderlayProbe } from '../../src/snapshot/active.ts';
import { runActive } from '../../src/collect/active/run.ts';
import type { ReportDoc } from '../../src/checks/report-doc.ts';
import { doubleForLab } from '../apiserver/lab-cluster.ts';
import { runCli } from '../apiserver/run-cli.ts';
import type { ApiServerDouble } from '../apiserver/server.ts';
import { labUnsupportedReason, startLab } from './harness/index.ts';
import type { RunningLab } from './harness/index.ts';
import { calicoHealthy, ciliumHealthy } from './incidents/base.ts';
import { labOf, switchName } from './incidents/cluster.ts';
import type { ClusterDecl } from './incidents/cluster.ts';

const skip = (await labUnsupportedReason()) ?? false;
const SW = switchName('lan');

interface Cluster {
  lab: RunningLab;
  double: ApiServerDouble;
  cli(args: readonly string[]): Promise<{ code: number | null; doc: ReportDoc; ms: number; stderr: string }>;
  /** Bridge-family nftables rules on the LAN switch (replacing the previous ones). */
  filter(rules: readonly string[]): Promise<void>;
}

async function cluster(d: ClusterDecl): Promise<Cluster> {
  const lab = await startLab(labOf(d), { prefix: `act${d.name.slice(0, 6)}` });
  const nft = async (cmd: string) => {
    const r = await lab.exec(SW, ['nft', cmd]);
    assert.equal(r.code, 0, `nft ${cmd}: ${r.stderr}`);
  };
  let double: ApiServerDouble;
  try {
    await nft('add table bridge underlay');
    await nft('add chain bridge underlay through { type filter hook forward priority 0; policy accept; }');
    double = await doubleForLab(lab, d);
  } catch (e) {
    await lab.stop();
    throw e;
  }
  return {
    lab,
    double,
    async cli(args) {
      const t = Date.now();
      const r = await runCli([...args, '-o', 'json', '--kubeconfig', double.kubeconfigPath]);
      const ms = Date.now() - t;
      let doc: ReportDoc;
      try {
        doc = JSON.parse(r.stdout) as ReportDoc;
      } catch {
        throw new Error(`no report (exit ${r.code}): ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
      }
      return { code: r.code, doc, ms, stderr: r.stderr };
    },
    async filter(rules) {
      await nft('flush chain bridge underlay through');
      for (const rule of rules) await nft(`add rule bridge underlay through ${rule}`);
    },
  };
}

const ids = (doc: ReportDoc) => doc.findings.map((f) => `${f.id} ${f.node ?? ''}`).sort();
const activeIds = (doc: ReportDoc) =>
  doc.findings
    .filter((f) =>
      [
        'underlay-drops-encapsulation',
        'path-mtu-black-hole',
        'underlay-drops-pod-traffic',
        'reply-path-broken',
        'prediction-mismatch',
        'active-not-observed',
      ].includes(f.id),
    )
    .map((f) => `${f.id} ${f.node ?? ''}`)
    .sort();

/** The cluster of the enclosing describe: started before its tests, removed after them. */
function clusterFor(d: () => ClusterDecl): () => Cluster {
  let c: Cluster | undefined;
  before(async () => {
    c = await cluster(d());
  });
  after(async () => {
    await c?.double.close();
    await c?.lab.stop();
  });
  return () => c!;
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
    assert.deepEqual(activeIds(r.doc), ['prediction-mismatch node-a', 'underlay-drops-encapsulation node-a']);
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
    const probe = (id: number, from: string, to: string, src: string, dst: string): UnderlayProbe => ({
      id,
      kind: 'ipip',
      purpose: 'reach',
      from,
      to,
      src,
      dst,
      size: 96,
      df: true,
      count: 2,
      path: [
        { node: from, dev: 'eth0' },
        { node: to, dev: 'eth0' },
      ],
      standsFor: 'IPIP (IP protocol 4) from tunl0 (MTU 1480)',
    });
    const probes = [
      probe(1, 'node-a', 'node-c', '192.168.1.11', '192.168.1.13'),
      probe(2, 'node-a', 'node-b', '192.168.1.11', '192.168.1.12'),
    ];
    const run = 0x4242;
    const filter = captureFilter(['ipip'], run, []);
    const plan: ActivePlan = {
      run,
      probes,
      captures: [
        { node: 'node-a', dev: 'eth0', filter, expected: 4 },
        { node: 'node-b', dev: 'eth0', filter, expected: 2 },
        { node: 'node-c', dev: 'eth0', filter, expected: 2 },
      ],
      skipped: [],
      limits: PROBE_LIMITS,
    };
    const results = await runActive({ kubeconfig: cl().double.kubeconfigPath, handleSignals: false }, plan);
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
    assert.match(fs[0]!.summary, /drops IP protocol 4$/);
    assert.equal(cl().double.pods('netcheck').length, 0, 'every probe pod deleted');
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
      'prediction-mismatch node-a',
      'prediction-mismatch node-c',
      'underlay-drops-pod-traffic node-a',
      'underlay-drops-pod-traffic node-c',
    ]);
    assert.match(
      r.doc.findings.find((x) => x.id === 'underlay-drops-pod-traffic' && x.node === 'node-a')!.summary,
      /node-a → node-c: left node-a eth0 as pod traffic 10\.0\.1\.34 → 10\.0\.3\.21 \(captured\), never reached node-c eth0/,
    );
  });
});
