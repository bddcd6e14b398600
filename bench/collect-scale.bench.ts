// Issue #15: the bytes a collection moves through the API server, by hashes (the default) beside a
// full transfer, for N generated nodes × S Services (bench/gen/cluster.ts) served by the API server
// double's synthetic nodes (test/apiserver/synthetic-nodes.ts: the probe scripts run for real in a
// BusyBox image, awk there being mawk for speed). Three processes, so that each figure is its own:
// this one generates every node's content to disk first (and counts its unique content), then
// for each way of collecting starts the double on it (collect-scale/double.ts) and the collector
// (collect-scale/collector.ts: collectLive with the CLI's defaults and the streamed v2 writer of
// `collect -o X.gz`). Counted: the exec streams, both ways (commands in
// the URL, frames back with their WebSocket headers); the object lists, the same for both, are
// not. Target: ≤ 2× the cluster's unique content (gen/unique-content.ts: each distinct
// section, each distinct chain, every host's counters) + ≤ 100 KB a node.
// Run: npm run bench -- collect-scale      (10 and 100 nodes × 10k Services, full transfer too)
//      COLLECT_NODES=1000 COLLECT_SERVICES=1000 COLLECT_FULL_MAX=1000 npm run bench -- collect-scale
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeNodeContent } from '../test/apiserver/synthetic-nodes.ts';
import { generateCluster } from './gen/cluster.ts';
import { UniqueContent } from './gen/unique-content.ts';

const NODES = (process.env['COLLECT_NODES'] ?? '10,100').split(',').map(Number);
const SERVICES = Number(process.env['COLLECT_SERVICES'] ?? 10_000);
const FULL_MAX = Number(process.env['COLLECT_FULL_MAX'] ?? 100);
const MB = 1024 * 1024;
const here = new URL('.', import.meta.url).pathname;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface DoubleStats {
  sent: number;
  received: number;
  execs: number;
  doubleEldMaxMs: number;
  doubleEldP99Ms: number;
  doubleMaxRssMB: number;
}
interface CollectorFigures {
  wallS: number;
  maxRssMB: number;
  snapshotMB: number;
  failedCount: number;
  failed: string[];
  warnings: string[];
  eldMaxMs: number;
  eldP99Ms: number;
}

const tsx = (file: string, args: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });

/** Every node's content written under `dir`, before anything is timed; the unique content's bytes. */
function generate(nodes: number, dir: string): { uniqueBytes: number; seconds: number; split: string } {
  const t0 = performance.now();
  const g = generateCluster({ nodes, services: SERVICES, endpointsPerService: 3 });
  const unique = new UniqueContent();
  // Where the time goes: the generator's setup and hosts, the unique content, writing to disk.
  const spent = { setup: performance.now() - t0, hosts: 0, unique: 0, write: 0 };
  let t = performance.now();
  const lap = (k: 'hosts' | 'unique' | 'write'): void => {
    const now = performance.now();
    spent[k] += now - t;
    t = now;
  };
  g.names.forEach((name, i) => {
    t = performance.now();
    const h = g.host(i);
    lap('hosts');
    unique.host(h.sections);
    lap('unique');
    mkdirSync(join(dir, name));
    writeNodeContent(join(dir, name), h);
    lap('write');
  });
  const split = Object.entries(spent)
    .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');
  return { uniqueBytes: unique.bytes, seconds: (performance.now() - t0) / 1000, split };
}

async function collectOnce(content: string, mode: 'hashes' | 'full'): Promise<DoubleStats & CollectorFigures> {
  const double = tsx('collect-scale/double.ts', [content]);
  const fromDouble = createInterface({ input: double.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await fromDouble.next();
    if (r.done === true) throw new Error('the API server double exited');
    return r.value;
  };
  const file = join(tmpdir(), `netcheck-collect-scale-${process.pid}.snap.gz`);
  try {
    const { kubeconfig } = JSON.parse(await next()) as { kubeconfig: string };
    const collector = tsx('collect-scale/collector.ts', [kubeconfig, mode, file]);
    let figures: CollectorFigures | undefined;
    for await (const line of createInterface({ input: collector.stdout! })) {
      // A node written to the snapshot: the double forgets its pod's state.
      if (line.startsWith('host ')) double.stdin!.write(`drop ${line.slice(5)}\n`);
      else figures = JSON.parse(line) as CollectorFigures;
    }
    if (figures === undefined) throw new Error(`the collector exited without figures (${collector.exitCode})`);
    double.stdin!.write('stats\n');
    const stats = JSON.parse(await next()) as DoubleStats;
    return { ...stats, ...figures };
  } finally {
    double.stdin!.end();
    await new Promise((r) => (double.exitCode !== null ? r(null) : double.once('exit', r)));
    rmSync(file, { force: true });
  }
}

/** Peak RSS of a process that loads the collector and does nothing: the floor of its memory. */
function startupRssMB(): number {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('${join(here, '../src/collect/live-source.ts')}').then(() => console.log(process.resourceUsage().maxRSS))`,
    ],
    { encoding: 'utf8' },
  );
  return Number(r.stdout.trim()) / 1024;
}

export async function run(): Promise<void> {
  console.log(`collect-scale: load average ${load()}; collector start-up peak RSS ${startupRssMB().toFixed(0)} MB`);
  for (const n of NODES) {
    const label = `collect-scale ${n} nodes × ${SERVICES} Services`;
    const content = mkdtempSync(join(tmpdir(), 'netcheck-collect-scale-nodes-'));
    try {
      await measure(n, label, content);
    } finally {
      rmSync(content, { recursive: true, force: true });
    }
  }
}

async function measure(n: number, label: string, content: string): Promise<void> {
  const { uniqueBytes, seconds, split } = generate(n, content);
  console.log(`${label}: generated in ${seconds.toFixed(1)} s (${split}; not timed below); load average ${load()}`);
  const h = await collectOnce(content, 'hashes');
  const budget = 2 * uniqueBytes + 100 * 1024 * n;
  const moved = h.sent + h.received;
  const said = (x: CollectorFigures): string =>
    x.failedCount > 0 ? `; ${x.failedCount} node(s) FAILED: ${x.failed.join('; ')}` : '';
  console.log(
    `${label}: by hashes ${(moved / MB).toFixed(1)} MB moved (${(h.sent / MB).toFixed(1)} MB out, ${(h.received / MB).toFixed(2)} MB of commands in, ${h.execs} execs) in ${h.wallS.toFixed(1)} s; ` +
      `unique content ${(uniqueBytes / MB).toFixed(1)} MB; target 2× unique + 100 KB/node = ${(budget / MB).toFixed(1)} MB: ` +
      `${(moved / budget).toFixed(2)} of it${moved <= budget ? '' : ' (missed)'}; collector peak RSS ${h.maxRssMB.toFixed(0)} MB; ` +
      `v2 snapshot ${h.snapshotMB.toFixed(1)} MB${said(h)}`,
  );
  console.log(
    `${label}: event-loop delay max/p99 collector ${h.eldMaxMs.toFixed(0)}/${h.eldP99Ms.toFixed(0)} ms, double ${h.doubleEldMaxMs.toFixed(0)}/${h.doubleEldP99Ms.toFixed(0)} ms (peak RSS ${h.doubleMaxRssMB.toFixed(0)} MB); load average ${load()}`,
  );
  if (n <= FULL_MAX) {
    const f = await collectOnce(content, 'full');
    const fm = f.sent + f.received;
    console.log(
      `${label}: full transfer ${(fm / MB).toFixed(1)} MB moved (${f.execs} execs) in ${f.wallS.toFixed(1)} s, collector peak RSS ${f.maxRssMB.toFixed(0)} MB: ` +
        `by hashes moves ${((moved / fm) * 100).toFixed(1)}% of it, in ${((h.wallS / f.wallS) * 100).toFixed(0)}% of its time${said(f)}; load average ${load()}`,
    );
  }
}
