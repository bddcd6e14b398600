// Issue #15: doctor's per-pair checks on N-node clusters (bench/gen/cluster.ts, few Services: the
// pair work is per node pair, not per Service). For each size, in a child process under
// /usr/bin/time -v, each phase of doctor timed on its own — reading the v2 snapshot, the model, the
// world, then every check — beside the floor measured in the same run: gunzip + JSON.parse of the
// same file's records. The pair checks (tunnel-source, tunnel-next-hop, vtep-mac, and pod-routes,
// which looks up every peer's block) must grow as the routes the nodes hold, not as N² walks.
// Run: npm run bench -- pairs            (100 and 500 nodes × 100 Services)
//      PAIRS_NODES=100,500,1000 npm run bench -- pairs
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCluster } from './gen/cluster.ts';
import { UniqueContent } from './gen/unique-content.ts';
import { fmt, timed, v2Floor, writeV2 } from './scale.bench.ts';

const NODES = (process.env['PAIRS_NODES'] ?? '100,500').split(',').map(Number);
const SERVICES = Number(process.env['PAIRS_SERVICES'] ?? 100);
const PAIR_CHECKS = ['tunnel-source', 'tunnel-next-hop', 'vtep-mac', 'pod-routes'];
const SELF = fileURLToPath(import.meta.url);

/** In the child: the phases of doctor on `file`, as one JSON line of seconds. */
async function phases(file: string): Promise<void> {
  const { readSnapshot } = await import('../src/snapshot/io.ts');
  const { buildModel } = await import('../src/model/model.ts');
  const { analysisContext } = await import('../src/checks/context.ts');
  const { runChecks } = await import('../src/checks/run-checks.ts');
  const { NODE_CHECKS } = await import('../src/checks/node/index.ts');
  const s = (t0: number): number => (performance.now() - t0) / 1000;
  let t = performance.now();
  const snap = await readSnapshot(file);
  const read = s(t);
  t = performance.now();
  const model = buildModel(snap);
  const modelS = s(t);
  t = performance.now();
  const ctx = analysisContext(model);
  const world = s(t);
  const checks: Record<string, number> = {};
  for (const c of NODE_CHECKS) {
    t = performance.now();
    runChecks(ctx, [c]);
    checks[c.name] = s(t);
  }
  console.log(JSON.stringify({ read, model: modelS, world, checks }));
}

export async function run(): Promise<void> {
  const dir = join(tmpdir(), `netcheck-pairs-${process.pid}`);
  try {
    for (const nodes of NODES) {
      const label = `pairs ${nodes} nodes × ${SERVICES} Services`;
      const g = generateCluster({ nodes, services: SERVICES, endpointsPerService: 3 });
      const file = join(dir, `v2-${nodes}.snap.gz`);
      mkdirSync(dir, { recursive: true });
      await writeV2(g, file, new UniqueContent());
      const load = loadavg()[0]!.toFixed(2);
      const floor = v2Floor(file);
      const d = timed(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', SELF, file]);
      if (d.status !== 0) throw new Error(`${label}: phases exited ${d.status}: ${d.stderr.slice(-800)}`);
      const p = JSON.parse(d.stdout.trim().split('\n').at(-1)!) as {
        read: number;
        model: number;
        world: number;
        checks: Record<string, number>;
      };
      const pair = PAIR_CHECKS.reduce((a, c) => a + (p.checks[c] ?? 0), 0);
      const all = Object.values(p.checks).reduce((a, b) => a + b, 0);
      const slowest = Object.entries(p.checks)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([c, v]) => `${c} ${v.toFixed(2)}`)
        .join(', ');
      console.log(
        `${label} (load ${load}): pair checks ${pair.toFixed(2)} s of ${all.toFixed(2)} s for all checks (${slowest}); ` +
          `beside: read ${p.read.toFixed(2)} s, model ${p.model.toFixed(2)} s, world ${p.world.toFixed(2)} s; whole process ${fmt(d)}; ` +
          `floor gunzip + JSON.parse of every record ${fmt(floor)}`,
      );
      rmSync(file, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF && process.argv[2] !== undefined) await phases(process.argv[2]);
