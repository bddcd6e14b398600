// Issue #15: the bytes a collection moves through the API server, by hashes (the default) beside a
// full transfer, for N generated nodes × 10k Services (bench/gen/cluster.ts) served by the API
// server double's synthetic nodes (test/apiserver/synthetic-nodes.ts: the probe scripts run for
// real in a BusyBox image, awk there being mawk for speed). Counted: the exec streams, both ways
// (commands in the URL, frames back with their WebSocket headers); the object lists, the same for
// both, are not. Target: ≤ 2× the cluster's unique content (scale.bench.ts UniqueContent: each
// distinct section, each distinct chain, every host's counters) + ≤ 100 KB a node. Hosts are
// written to a v2 snapshot as they arrive; the process's peak RSS is printed.
// Run: npm run bench -- collect-scale      (10 and 100 nodes; full transfer measured up to 10)
//      COLLECT_NODES=10,100,1000 COLLECT_FULL_MAX=100 npm run bench -- collect-scale
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLive } from '../src/collect/live-source.ts';
import { SnapshotV2Writer } from '../src/snapshot/v2/write.ts';
import { ApiServerDouble } from '../test/apiserver/server.ts';
import { IMAGE_TOOLS, SyntheticNodes } from '../test/apiserver/synthetic-nodes.ts';
import { generateCluster } from './gen/cluster.ts';
import type { GeneratedCluster } from './gen/cluster.ts';
import { UniqueContent } from './scale.bench.ts';

const NODES = (process.env['COLLECT_NODES'] ?? '10,100').split(',').map(Number);
const FULL_MAX = Number(process.env['COLLECT_FULL_MAX'] ?? 10);
const SERVICES = 10_000;
const MB = 1024 * 1024;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Moved {
  sent: number;
  received: number;
  execs: number;
  wallS: number;
  snapshotMB: number;
}

async function collectOnce(g: GeneratedCluster, full: boolean, unique?: UniqueContent): Promise<Moved> {
  const nodes = new SyntheticNodes(
    (n) => {
      const h = g.host(g.names.indexOf(n));
      unique?.host(h.sections);
      return h;
    },
    { ...IMAGE_TOOLS, awk: '/usr/bin/mawk' },
  );
  const d = await ApiServerDouble.start({ nodes: g.names.map((name) => ({ name })), execRuntime: nodes });
  const file = join(tmpdir(), `netcheck-collect-scale-${process.pid}.snap.gz`);
  const w = new SnapshotV2Writer(createWriteStream(file));
  let chain = Promise.resolve();
  const t0 = performance.now();
  try {
    const snap = await collectLive({
      kubeconfig: d.kubeconfigPath,
      handleSignals: false,
      fullTransfer: full,
      // The generator runs in this process and holds its event loop for seconds a node.
      requestTimeout: '0',
      commandTimeoutSeconds: 600,
      // Pods made only as a slot frees, and outliving a slow run (the kubelet stops them at the deadline).
      maxPods: 20,
      deadlineSeconds: 7200,
      onHost: (node, entry) => {
        chain = chain.then(() => w.host(node, entry));
        nodes.drop(node);
        return chain;
      },
    });
    const failed = Object.values(snap.hosts).filter((h) => h.errors['probe'] !== undefined).length;
    if (failed > 0) throw new Error(`${failed} node(s) failed: ${snap.warnings?.slice(0, 3).join('; ')}`);
    await chain;
    await w.end();
    return {
      sent: nodes.sent,
      received: nodes.received,
      execs: nodes.execs,
      wallS: (performance.now() - t0) / 1000,
      snapshotMB: statSync(file).size / MB,
    };
  } finally {
    await d.close();
    nodes.close();
    rmSync(file, { force: true });
  }
}

export async function run(): Promise<void> {
  console.log(`collect-scale: load average ${load()}`);
  for (const n of NODES) {
    const g = generateCluster({ nodes: n, services: SERVICES, endpointsPerService: 3 });
    const label = `collect-scale ${n} nodes × ${SERVICES} Services`;
    const unique = new UniqueContent();
    const h = await collectOnce(g, false, unique);
    const budget = 2 * unique.bytes + 100 * 1024 * n;
    const moved = h.sent + h.received;
    console.log(
      `${label}: by hashes ${(moved / MB).toFixed(1)} MB moved (${(h.sent / MB).toFixed(1)} MB out, ${(h.received / MB).toFixed(2)} MB of commands in, ${h.execs} execs) in ${h.wallS.toFixed(1)} s; ` +
        `unique content ${(unique.bytes / MB).toFixed(1)} MB; target 2× unique + 100 KB/node = ${(budget / MB).toFixed(1)} MB: ` +
        `${(moved / budget).toFixed(2)} of it${moved <= budget ? '' : ' (missed)'}; v2 snapshot written as hosts arrived ${h.snapshotMB.toFixed(1)} MB`,
    );
    if (n <= FULL_MAX) {
      const f = await collectOnce(g, true);
      const fm = f.sent + f.received;
      console.log(
        `${label}: full transfer ${(fm / MB).toFixed(1)} MB moved (${f.execs} execs) in ${f.wallS.toFixed(1)} s: by hashes moves ${((moved / fm) * 100).toFixed(1)}% of it`,
      );
    }
    console.log(
      `${label}: peak RSS of this process (collector, double, generator) ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load average ${load()}`,
    );
  }
}
