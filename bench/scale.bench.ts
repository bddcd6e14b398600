// Issue #15: `doctor` on N-node clusters of S Services (bench/gen/cluster.ts), each figure beside its
// floor measured in the same run: for each cluster size, the snapshot is written streaming (a
// 1,000-node cluster is never one string), then in child processes under /usr/bin/time -v
// (wall, peak RSS): `doctor --snapshot` and the floor, reading the same file's bytes
// (readFileSync + JSON.parse for v1). A v1 file over the reader's cap (MAX_SNAPSHOT_BYTES) is
// reported as unreadable, with its size. For one node, `iptables-nft-restore --test` of the same
// ruleset in a scratch network namespace is timed too (root only).
// doctor runs through each way a user runs netcheck (bench/entries.ts): the packed npm package
// (bin/ + dist/ bundled by scripts/build-dist.mjs) at every size; the tsx source install and the bun release
// executable at one node (SCALE_ENTRIES=tsx,packed,bun sets it for every size). Start-up alone is
// their floor: `--version`, and doctor on a 1-node cluster with no Services. At one node each
// figure is the median of SCALE_RUNS runs (default 3; 1 beyond one node).
// Run: npm run bench -- scale          (1, 20 and 100 nodes at 10k Services)
//      SCALE_NODES=1,1000 SCALE_SERVICES=10000 npm run bench -- scale
import { spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_SNAPSHOT_BYTES } from '../src/snapshot/io.ts';
import { buildEntries } from './entries.ts';
import type { Entry } from './entries.ts';
import { generateCluster } from './gen/cluster.ts';
import type { GeneratedCluster } from './gen/cluster.ts';
import { UniqueContent } from './gen/unique-content.ts';
import { SnapshotV2Writer } from '../src/snapshot/v2/write.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODES = (process.env['SCALE_NODES'] ?? '1,20,100').split(',').map(Number);
const SERVICES = Number(process.env['SCALE_SERVICES'] ?? 10_000);
const ENDPOINTS = 3;
const MB = 1024 * 1024;
const HEAP_MB = 4096;
const ENTRIES = process.env['SCALE_ENTRIES']?.split(',') as Entry['name'][] | undefined;

export interface Timed {
  wallS: number;
  rssMB: number;
  status: number | null;
  stderr: string;
  runs?: number;
  stdout: string;
}

/** `cmd args` under /usr/bin/time -v: wall clock and peak RSS as GNU time reports them (to a file: a crash's stderr is long). */
export function timed(cmd: string, args: string[], input?: string): Timed {
  const report = join(tmpdir(), `netcheck-scale-time-${process.pid}`);
  const r = spawnSync('/usr/bin/time', ['-v', '-o', report, cmd, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * MB,
    ...(input !== undefined ? { input } : {}),
  });
  const t = readFileSync(report, 'utf8');
  rmSync(report, { force: true });
  const wall = /Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)/.exec(t);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
  if (wall === null || rss === null) throw new Error(`no /usr/bin/time report for ${cmd}: ${t.slice(0, 500)}`);
  const wallS = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { wallS, rssMB: Number(rss[1]) / 1024, status: r.status, stderr: r.stderr ?? '', stdout: r.stdout ?? '' };
}

export const fmt = (t: Timed): string =>
  `${t.wallS.toFixed(2)} s, ${t.rssMB.toFixed(0)} MB peak RSS${t.runs !== undefined && t.runs > 1 ? ` (median of ${t.runs})` : ''}`;

/** The run of median wall time among `runs` runs of `f`. */
function median(runs: number, f: () => Timed): Timed {
  const all = Array.from({ length: runs }, f).sort((a, b) => a.wallS - b.wallS);
  return { ...all[Math.floor(all.length / 2)]!, runs };
}

/** Writes the v1 JSON of `g` to `path` host by host; stops writing (but goes on counting) past `cap` bytes. */
function writeV1(g: GeneratedCluster, path: string, cap: number): number {
  const fd = openSync(path, 'w');
  let size = 0;
  const put = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    if (size + b.length <= cap) writeSync(fd, b);
    size += b.length;
  };
  try {
    put(`${JSON.stringify(g.head).slice(0, -1)},"hosts":{`);
    g.names.forEach((name, i) => put(`${i > 0 ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(g.host(i))}`));
    put('}}\n');
  } finally {
    closeSync(fd);
  }
  return size;
}

/** Writes the v2 snapshot of `g` host by host. */
export async function writeV2(g: GeneratedCluster, path: string, unique: UniqueContent): Promise<SnapshotV2Writer> {
  const w = new SnapshotV2Writer(createWriteStream(path));
  await w.head(g.head);
  for (let i = 0; i < g.names.length; i++) {
    const h = g.host(i);
    unique.host(h.sections);
    await w.host(g.names[i]!, h);
  }
  await w.end();
  return w;
}

/** Reading a v2 file's bytes: gunzip and JSON.parse of every record, nothing put together. */
export const v2Floor = (file: string): Timed =>
  timed(process.execPath, [
    '-e',
    `const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(${JSON.stringify(file)}).pipe(require('node:zlib').createGunzip()), crlfDelay: Infinity });
     (async () => { for await (const l of rl) if (l !== '') JSON.parse(l); })();`,
  ]);

/**
 * `doctor --snapshot file -o json` through `e`. The machine is shared: a Node doctor that would need
 * more heap than the target's 2 GB (twice over) fails here rather than take every other process's
 * memory (bun has no such flag).
 */
const doctor = (e: Entry, file: string): Timed =>
  e.name === 'bun'
    ? timed(e.cmd, [...e.args, 'doctor', '--snapshot', file, '-o', 'json'])
    : timed(e.cmd, [`--max-old-space-size=${HEAP_MB}`, ...e.args, 'doctor', '--snapshot', file, '-o', 'json']);

const jsonFloor = (file: string): Timed =>
  timed(process.execPath, ['-e', `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`]);

/** iptables-nft-restore --test of node 0's ruleset in a scratch namespace (median of `runs`); undefined when not root. */
function restoreTest(g: GeneratedCluster, runs: number): Timed | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ns = `nc-scale-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    const h = g.host(0);
    // Calico's rules name its ipsets: the namespace gets them first (ipset restore of the same node).
    spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'restore'], { input: h.sections['ipset']! });
    const rules = h.sections['iptables-nft-save']!;
    return median(runs, () => timed('ip', ['netns', 'exec', ns, 'iptables-nft-restore', '--test', '-c'], rules));
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Start-up alone, each entry's floor: `--version`, and doctor on a 1-node cluster with no Services. */
function startup(entries: readonly Entry[], dir: string, runs: number): void {
  const empty = join(dir, 'no-services.json');
  writeV1(generateCluster({ nodes: 1, services: 0, endpointsPerService: ENDPOINTS }), empty, MAX_SNAPSHOT_BYTES);
  const node = median(runs, () => timed(process.execPath, ['-e', '0']));
  console.log(`scale start-up: node -e 0 ${fmt(node)}`);
  for (const e of entries) {
    const v = median(runs, () => timed(e.cmd, [...e.args, '--version']));
    const d = median(runs, () => doctor(e, empty));
    console.log(`scale start-up, ${e.what}: --version ${fmt(v)}; doctor of 1 node × 0 Services ${fmt(d)}`);
  }
  rmSync(empty, { force: true });
}

/** doctor of `file` through every entry, each beside `floor`. */
function doctors(entries: readonly Entry[], file: string, runs: number, floor: Timed, label: string): void {
  for (const e of entries) {
    const d = median(runs, () => doctor(e, file));
    if (d.status !== 0 && d.status !== 1)
      console.log(
        `${label} via ${e.name}: failed (exit ${d.status}) after ${fmt(d)}: ${d.stderr.split('\n').slice(0, 3).join(' ')}`,
      );
    else console.log(`${label} via ${e.name}: ${fmt(d)} (${(d.wallS / floor.wallS).toFixed(1)}× the floor)`);
  }
}

export async function run(): Promise<void> {
  const dir = join(tmpdir(), `netcheck-scale-${process.pid}`);
  spawnSync('mkdir', ['-p', dir]);
  const built = buildEntries(ENTRIES ?? ['tsx', 'packed', 'bun']);
  try {
    console.log(`scale: load average ${load()} on this machine`);
    for (const e of built.entries)
      console.log(
        `scale entry ${e.name}: ${e.what}${built.buildS[e.name] !== undefined ? ` (built in ${built.buildS[e.name]!.toFixed(1)} s)` : ''}`,
      );
    for (const why of built.skipped) console.log(`scale entry skipped: ${why}`);
    startup(built.entries, dir, Number(process.env['SCALE_RUNS'] ?? 3));
    for (const nodes of NODES) {
      const runs = Number(process.env['SCALE_RUNS'] ?? (nodes === 1 ? 3 : 1));
      const entries = built.entries.filter((e) => ENTRIES !== undefined || nodes === 1 || e.name === 'packed');
      const t0 = performance.now();
      const g = generateCluster({ nodes, services: SERVICES, endpointsPerService: ENDPOINTS });
      const label = `scale ${nodes} node(s) × ${SERVICES} Services × ${ENDPOINTS} endpoints`;
      const v1 = join(dir, `v1-${nodes}.json`);
      const size = writeV1(g, v1, MAX_SNAPSHOT_BYTES);
      console.log(
        `${label}: v1 snapshot ${(size / MB).toFixed(1)} MB (generated and written in ${((performance.now() - t0) / 1000).toFixed(1)} s); load ${load()}`,
      );
      if (size > MAX_SNAPSHOT_BYTES) {
        console.log(
          `${label}: v1 cannot be read: larger than the ${MAX_SNAPSHOT_BYTES / MB} MiB a JSON string can hold`,
        );
      } else {
        const floor = median(runs, () => jsonFloor(v1));
        console.log(`${label}: v1 floor readFileSync + JSON.parse ${fmt(floor)}`);
        doctors(entries, v1, runs, floor, `${label}: v1 doctor`);
      }
      if (nodes === 1) {
        const r = restoreTest(g, runs);
        if (r !== undefined)
          console.log(
            `${label}: iptables-nft-restore --test of node 0's ruleset ${fmt(r)}${r.status === 0 ? '' : ` (exit ${r.status})`}`,
          );
      }
      rmSync(v1, { force: true });
      const v2 = join(dir, `v2-${nodes}.snap.gz`);
      const unique = new UniqueContent();
      const t1 = performance.now();
      const w = await writeV2(g, v2, unique);
      const disk = statSync(v2).size;
      console.log(
        `${label}: v2 snapshot ${(disk / MB).toFixed(1)} MB on disk (${(w.rawBytes / MB).toFixed(1)} MB of records, ` +
          `${(w.blobBytes / MB).toFixed(1)} MB of distinct blobs; generated and written in ${((performance.now() - t1) / 1000).toFixed(1)} s); ` +
          `unique content ${(unique.bytes / MB).toFixed(1)} MB: on disk ${(disk / unique.bytes).toFixed(2)}× (target ≤ 3×)`,
      );
      const f2 = median(runs, () => v2Floor(v2));
      console.log(`${label}: v2 floor gunzip + JSON.parse of every record ${fmt(f2)}`);
      doctors(entries, v2, runs, f2, `${label}: v2 doctor`);
      rmSync(v2, { force: true });
    }
    console.log(`scale: load average ${load()} after`);
  } finally {
    built.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}
