// Live collection time for 1 node and for 100 nodes, each probe pod taking 300 ms to start, against
// the API server double in its own process. The double replays each probe command's real output
// (run once in a lab namespace), so the figure is netcheck's orchestration: pod creation, status
// polling, exec streaming, deletion. Needs root (one network namespace). Prints the ratio.
// Run: npm run bench -- collect
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { collectLive } from '../src/collect/live-source.ts';
import { startLabNodes } from '../test/apiserver/lab-nodes.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START_MS = 300;
const NODES = 100;

async function startDouble(netns: string): Promise<{ kubeconfig: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/apiserver/serve.ts', String(NODES), String(START_MS), netns, 'cached'],
    {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`double exited ${c}`)));
  });
  return { kubeconfig: (JSON.parse(line) as { kubeconfig: string }).kubeconfig, stop: () => child.stdin!.end() };
}

async function timeOnce(kubeconfig: string, nodes: string[]): Promise<number> {
  const t0 = performance.now();
  const snap = await collectLive({ kubeconfig, nodes, handleSignals: false });
  const ms = performance.now() - t0;
  const probed = Object.values(snap.hosts).filter((h) => h.errors['probe'] === undefined).length;
  if (probed !== nodes.length)
    throw new Error(`probed ${probed} of ${nodes.length} nodes: ${snap.warnings?.join('; ')}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const lab = await startLabNodes(1);
  const d = await startDouble(lab.nodes[0]!.netns);
  try {
    const all = Array.from({ length: NODES }, (_, i) => `node-${String(i).padStart(3, '0')}`);
    await timeOnce(d.kubeconfig, all.slice(0, 1)); // warm-up: fills the double's command cache
    const one: number[] = [];
    const many: number[] = [];
    for (let i = 0; i < 3; i++) {
      one.push(await timeOnce(d.kubeconfig, all.slice(0, 1)));
      many.push(await timeOnce(d.kubeconfig, all));
    }
    const a = median(one);
    const b = median(many);
    console.log(`live collect, 1 node, ${START_MS} ms pod start: ${a.toFixed(0)} ms (median of 3)`);
    console.log(
      `live collect, ${NODES} nodes, ${START_MS} ms pod start, default --concurrency: ${b.toFixed(0)} ms (median of 3)`,
    );
    console.log(`live collect, ${NODES} nodes / 1 node: ${(b / a).toFixed(2)}x`);
  } finally {
    d.stop();
    await lab.stop();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await run();
