// The API server double of bench/collect-scale.bench.ts, in its own process so that the collector's
// peak RSS and event loop are its own: synthetic nodes (test/apiserver/synthetic-nodes.ts) whose
// content a worker thread generates (host-worker.ts) as each node is first exec'd into.
// argv[2]: the cluster shape (JSON). stdout: one JSON line {kubeconfig}, then one JSON line of
// counts per "stats" line read on stdin; "drop <node>" on stdin forgets a collected node's files.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import { ApiServerDouble } from '../../test/apiserver/server.ts';
import { IMAGE_TOOLS, SyntheticNodes } from '../../test/apiserver/synthetic-nodes.ts';
import type { HostDone, HostJob } from './host-worker.ts';

const worker = new Worker(new URL('./host-worker.mjs', import.meta.url), { workerData: JSON.parse(process.argv[2]!) });
const names = await new Promise<string[]>((r) => worker.once('message', r));
const waiting = new Map<number, (d: HostDone) => void>();
let last: HostDone = { node: -1, uniqueBytes: 0, generatorMs: 0 };
worker.on('message', (d: HostDone) => {
  last = d;
  waiting.get(d.node)?.(d);
  waiting.delete(d.node);
});
const ask = (job: HostJob): Promise<HostDone> =>
  new Promise((r) => {
    waiting.set(job.node, r);
    worker.postMessage(job);
  });

const nodes = new SyntheticNodes(
  () => {
    throw new Error('content comes from the worker');
  },
  { ...IMAGE_TOOLS, awk: '/usr/bin/mawk' },
  async (node, dir) => {
    await ask({ node: names.indexOf(node), dir });
  },
);
const d = await ApiServerDouble.start({ nodes: names.map((name) => ({ name })), execRuntime: nodes });
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
console.log(JSON.stringify({ kubeconfig: d.kubeconfigPath }));
for await (const line of createInterface({ input: process.stdin })) {
  const [verb, node] = line.split(' ');
  if (verb === 'drop') nodes.drop(node!);
  else if (verb === 'stats') {
    await ask({ node: -1, dir: '' });
    console.log(
      JSON.stringify({
        sent: nodes.sent,
        received: nodes.received,
        execs: nodes.execs,
        uniqueBytes: last.uniqueBytes,
        generatorS: last.generatorMs / 1000,
        doubleEldMaxMs: eld.max / 1e6,
        doubleEldP99Ms: eld.percentile(99) / 1e6,
        doubleMaxRssMB: process.resourceUsage().maxRSS / 1024,
      }),
    );
  }
}
await d.close();
nodes.close();
await worker.terminate();
