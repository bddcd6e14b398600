// The API server double of bench/collect-scale.bench.ts, in its own process so that the collector's
// peak RSS and event loop are its own: synthetic nodes (test/apiserver/synthetic-nodes.ts) whose
// content was generated before it started (argv[2]: a directory of `<node>/` directories, as
// writeNodeContent writes them; the nodes are its entries). Generating while serving stalled the
// exec streams (issue #15: event-loop delay p50 3–5 s at 100 nodes, no node done in 69 s) and, in
// a worker thread, serialised every node's first exec behind the generator (74 s of 85 s at 10).
// stdout: one JSON line {kubeconfig}, then a JSON line of counts per "stats" line read on stdin;
// "drop <node>" on stdin forgets a collected node's pod state.
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ApiServerDouble } from '../../test/apiserver/server.ts';
import { IMAGE_TOOLS, SyntheticNodes } from '../../test/apiserver/synthetic-nodes.ts';

const contentDir = process.argv[2]!;
const names = readdirSync(contentDir).sort();
const nodes = new SyntheticNodes(
  () => {
    throw new Error(`every node's content is in ${contentDir}`);
  },
  { ...IMAGE_TOOLS, awk: '/usr/bin/mawk' },
  contentDir,
);
const d = await ApiServerDouble.start({ nodes: names.map((name) => ({ name })), execRuntime: nodes });
const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();
console.log(JSON.stringify({ kubeconfig: d.kubeconfigPath }));
for await (const line of createInterface({ input: process.stdin })) {
  const [verb, node] = line.split(' ');
  if (verb === 'drop') nodes.drop(node!);
  else if (verb === 'stats')
    console.log(
      JSON.stringify({
        sent: nodes.sent,
        received: nodes.received,
        execs: nodes.execs,
        doubleEldMaxMs: eld.max / 1e6,
        doubleEldP99Ms: eld.percentile(99) / 1e6,
        doubleMaxRssMB: process.resourceUsage().maxRSS / 1024,
      }),
    );
}
await d.close();
nodes.close();
