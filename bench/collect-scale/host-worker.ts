// A worker thread that generates nodes' content for the API server double (bench/gen/cluster.ts)
// and writes it where the synthetic nodes' stand-in tools read it, counting the cluster's unique
// content as it goes. Off the double's event loop: generating a 10k-Service node takes ~0.5 s and
// counting its unique content ~1.5 s, which in the double's own thread stalled every exec stream
// (issue #15: event-loop delay p50 3–5 s at 100 nodes, no node finished in 69 s).
import { parentPort, workerData } from 'node:worker_threads';
import { writeNodeContent } from '../../test/apiserver/synthetic-nodes.ts';
import { generateCluster } from '../gen/cluster.ts';
import type { ClusterShape } from '../gen/cluster.ts';
import { UniqueContent } from '../scale.bench.ts';

/** A node to write, or (node -1) a request for the counts so far. The worker first posts the node names. */
export interface HostJob {
  node: number;
  dir: string;
}

export interface HostDone {
  node: number;
  uniqueBytes: number;
  generatorMs: number;
}

const g = generateCluster(workerData as ClusterShape);
const unique = new UniqueContent();
let generatorMs = 0;
parentPort!.postMessage(g.names);
parentPort!.on('message', (job: HostJob) => {
  if (job.node >= 0) {
    const t = performance.now();
    const h = g.host(job.node);
    unique.host(h.sections);
    writeNodeContent(job.dir, h);
    generatorMs += performance.now() - t;
  }
  parentPort!.postMessage({ node: job.node, uniqueBytes: unique.bytes, generatorMs } satisfies HostDone);
});
