// Collection by hashes (src/collect/kube/dedup-access.ts) against the API server double with
// synthetic nodes (test/apiserver/synthetic-nodes.ts): the probe scripts run for real in a BusyBox
// "image", each node printing bench/gen/cluster.ts content. The snapshot must be the same, section
// by section and byte for byte, as a full transfer of every node's output, also when the image
// lacks a tool and when a node's stored output changes between the hash and the fetch.
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { analysisContext } from '../../src/checks/context.ts';
import { doctor } from '../../src/checks/queries/doctor.ts';
import { collectLive } from '../../src/collect/live-source.ts';
import { buildModel } from '../../src/model/model.ts';
import { piecedSection } from '../../src/snapshot/pieced.ts';
import { readSnapshot } from '../../src/snapshot/io.ts';
import type { HostEntry, Snapshot } from '../../src/snapshot/types.ts';
import { generateCluster } from '../../bench/gen/cluster.ts';
import type { GeneratedCluster } from '../../bench/gen/cluster.ts';
import { runCli } from '../apiserver/run-cli.ts';
import { ApiServerDouble } from '../apiserver/server.ts';
import { IMAGE_TOOLS, SyntheticNodes, imageWithout } from '../apiserver/synthetic-nodes.ts';

const NODES = 3;

/** The kernel's clock (xt-recent reads this machine's /proc): never the same twice. */
const stable = (e: HostEntry): HostEntry => ({
  sections: Object.fromEntries(
    Object.entries(e.sections).map(([k, v]) => [k, v.replace(/^jiffies: \d+$/gm, 'jiffies: <n>')]),
  ),
  errors: e.errors,
});

interface Run {
  snap: Snapshot;
  nodes: SyntheticNodes;
}

describe('collect by hashes through the API server double', { concurrency: false }, () => {
  let g: GeneratedCluster;
  let full: Snapshot;
  let fullSent = 0;
  before(async () => {
    g = generateCluster({ nodes: NODES, services: 300, endpointsPerService: 3 });
    const r = await collect({ fullTransfer: true });
    full = r.snap;
    fullSent = r.nodes.sent;
  });
  const index = (node: string): number => g.names.indexOf(node);

  async function collect(
    o: { fullTransfer?: boolean; tools?: Readonly<Record<string, string>>; content?: (node: string) => HostEntry } = {},
    onExec?: (nodes: SyntheticNodes, node: string, command: string[]) => void,
  ): Promise<Run> {
    const nodes = new SyntheticNodes(o.content ?? ((n) => g.host(index(n))), o.tools);
    const d = await ApiServerDouble.start({
      nodes: g.names.map((name) => ({ name })),
      startDelayMs: 10,
      execRuntime: nodes,
    });
    if (onExec !== undefined) d.onExec = (_pod, node, command) => onExec(nodes, node, command);
    try {
      const snap = await collectLive({
        kubeconfig: d.kubeconfigPath,
        handleSignals: false,
        ...(o.fullTransfer === true ? { fullTransfer: true } : {}),
      });
      return { snap, nodes };
    } finally {
      await d.close();
      nodes.close();
    }
  }

  const sameAsFull = (snap: Snapshot): void => {
    assert.deepEqual(Object.keys(snap.hosts).sort(), g.names);
    for (const n of g.names) {
      const [a, b] = [stable(snap.hosts[n]!), stable(full.hosts[n]!)];
      assert.deepEqual(Object.keys(a.sections), Object.keys(b.sections), n);
      for (const s of Object.keys(b.sections)) assert.ok(a.sections[s] === b.sections[s], `${n} ${s} differs`);
      assert.deepEqual(a.errors, b.errors, n);
    }
  };

  test('the full transfer holds what each node printed', () => {
    for (const n of g.names)
      assert.equal(full.hosts[n]!.sections['iptables-nft-save'], g.host(index(n)).sections['iptables-nft-save']);
  });

  test('by hashes: byte-identical to the full transfer, moving less', async () => {
    const r = await collect();
    sameAsFull(r.snap);
    // The iptables text is handed to the model in the pieces it moved in, and the model reads
    // every node but as a view over the first node's chains (no joined 17 MB text per node).
    for (const n of g.names) assert.ok(piecedSection(r.snap.hosts[n]!.sections, 'iptables-nft-save'), n);
    const model = buildModel(r.snap);
    const views = [...model.hosts.values()].filter((h) => h.iptables.some((rs) => rs.said !== undefined));
    assert.equal(views.length, NODES);
    // The same report as from the full transfer's texts (the capture times differ).
    const report = (m: ReturnType<typeof buildModel>) => {
      const { findings, notes, checks, verdict } = doctor(analysisContext(m));
      return JSON.stringify({ findings, notes, checks, verdict });
    };
    assert.equal(report(model), report(buildModel(full)));
    // Two execs a node (hashes, then what is new); the shared chains move once, gzipped.
    assert.equal(r.nodes.execs, 2 * NODES);
    assert.ok(r.nodes.sent * 4 < fullSent, `${r.nodes.sent} bytes by hashes, ${fullSent} in full`);
  });

  for (const missing of ['gzip', 'sha256sum', 'awk', 'xargs']) {
    test(`an image without ${missing}: the same snapshot`, async () => {
      const r = await collect({ tools: imageWithout(missing) });
      sameAsFull(r.snap);
    });
  }

  // Issue #15: a node the plain batch can collect is never failed by the hash-first path.
  const fellBack = (r: Run): void => {
    sameAsFull(r.snap);
    // The failed first script, then the plain batch.
    assert.equal(r.nodes.execs, 2 * NODES);
    const said = (r.snap.warnings ?? []).filter((w) => w.includes('collection by hashes failed'));
    assert.deepEqual(
      said.map((w) => w.split(':')[0]).sort(),
      g.names.map((n) => `node ${n}`),
    );
  };

  test("the image's shell cannot run the hash script (no mkdir): each node collected in full, and said", async () => {
    fellBack(await collect({ tools: imageWithout('mkdir') }));
  });

  test("the hash script's output cannot be read: each node collected in full, and said", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-badgzip-'));
    try {
      // A gzip that swallows its input and prints gzip's magic and no gzip stream.
      const bad = join(dir, 'gzip');
      writeFileSync(bad, "#!/bin/dash\ncat >/dev/null; printf '\\037\\213not a gzip stream'\n");
      chmodSync(bad, 0o755);
      fellBack(await collect({ tools: { ...IMAGE_TOOLS, gzip: bad } }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('collect -o X.snap.gz writes each host as it arrives: the same snapshot, warnings from the end record', async () => {
    const nodes = new SyntheticNodes((n) => g.host(index(n)));
    const d = await ApiServerDouble.start({ nodes: g.names.map((name) => ({ name })), execRuntime: nodes });
    const dir = mkdtempSync(join(tmpdir(), 'netcheck-hashes-'));
    try {
      const file = join(dir, 'cluster.snap.gz');
      const r = await runCli(['collect', '-o', file, '--kubeconfig', d.kubeconfigPath]);
      assert.equal(r.code, 0, r.stderr);
      const snap = await readSnapshot(file);
      sameAsFull(snap);
      const names = (x: Snapshot) => x.objects.nodes.map((o) => (o['metadata'] as { name: string }).name);
      assert.deepEqual(names(snap), names(full));
      assert.deepEqual(snap.warnings, full.warnings);
    } finally {
      await d.close();
      nodes.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a node's rules change between hash and fetch: the snapshot holds the version hashed, whole", async () => {
    let changed = 0;
    const r = await collect({}, (nodes, node, command) => {
      if (!(command[2] ?? '').includes('Q:iptables-nft-save:')) return;
      appendFileSync(join(nodes.nodeDir(node), 'iptables-nft-save.out'), '# changed\n');
      changed++;
    });
    assert.ok(changed >= 1);
    assert.equal(r.nodes.execs, 2 * NODES);
    sameAsFull(r.snap);
  });

  test('a stored piece that changed between hash and fetch: the section is moved again whole, never mixed', async () => {
    const tampered = new Set<string>();
    const r = await collect({}, (nodes, node, command) => {
      // The fetch script names the pieces it sends as "Q:<section>:<runs>"; before it runs, the
      // first of them changes in the pod's stored copy, and the node's rules change too.
      const asked = /Q:iptables-nft-save:(\d+)/.exec(command[2] ?? '');
      if (asked === null) return;
      const state = join(nodes.podTmp(node), readdirSync(nodes.podTmp(node))[0]!);
      appendFileSync(join(state, 'iptables-nft-save.p', asked[1]!.padStart(6, '0')), '-A FORWARD -j ACCEPT\n');
      appendFileSync(join(nodes.nodeDir(node), 'iptables-nft-save.out'), '# changed\n');
      tampered.add(node);
    });
    assert.ok(tampered.size >= 1);
    // One more exec per tampered node: the plain batch of that section alone, moving the new rules.
    assert.equal(r.nodes.execs, 2 * NODES + tampered.size);
    for (const n of g.names) {
      const v1 = full.hosts[n]!.sections['iptables-nft-save']!;
      assert.ok(r.snap.hosts[n]!.sections['iptables-nft-save'] === (tampered.has(n) ? `${v1}# changed\n` : v1), n);
      const rest = (e: HostEntry) => stable({ sections: { ...e.sections, 'iptables-nft-save': '' }, errors: e.errors });
      assert.deepEqual(rest(r.snap.hosts[n]!), rest(full.hosts[n]!));
    }
  });
});
