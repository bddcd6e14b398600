// One collection for bench/collect-scale.bench.ts, in its own process so that its peak RSS is the
// collector's alone, with the streamed v2 writer of `collect -o X.gz` (src/cli/streamed-snapshot.ts).
// argv: kubeconfig, "hashes" | "full", snapshot file. stdout: "host <node>" as each node is
// written, then one JSON line of figures. The CLI's defaults otherwise (concurrency, pods, timeouts).
import { statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { streamedV2 } from '../../src/cli/streamed-snapshot.ts';
import { collectLive } from '../../src/collect/live-source.ts';

const [kubeconfig, mode, file] = process.argv.slice(2) as [string, string, string];
const out = await streamedV2(file);
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
const t0 = performance.now();
const snap = await collectLive({
  kubeconfig,
  handleSignals: false,
  fullTransfer: mode === 'full',
  onObjects: out.options.onObjects!,
  onHost: async (node, entry) => {
    await out.options.onHost!(node, entry);
    console.log(`host ${node}`);
  },
});
await out.finish(snap);
const failed = Object.entries(snap.hosts).filter(([, h]) => h.errors['probe'] !== undefined);
console.log(
  JSON.stringify({
    wallS: (performance.now() - t0) / 1000,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    snapshotMB: statSync(file).size / (1024 * 1024),
    failedCount: failed.length,
    failed: failed.slice(0, 3).map(([n, h]) => `${n}: ${h.errors['probe']}`),
    warnings: (snap.warnings ?? []).slice(0, 3),
    eldMaxMs: eld.max / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
  }),
);
