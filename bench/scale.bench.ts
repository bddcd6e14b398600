// Issue #15: `doctor` on N-node clusters of S Services (bench/gen/cluster.ts), each figure beside its
// floor measured in the same run: for each cluster size, the snapshot is written streaming (a
// 1,000-node cluster is never one string), then in child processes under /usr/bin/time -v
// (wall, peak RSS): `doctor --snapshot` and the floor, reading the same file's bytes
// (readFileSync + JSON.parse for v1). A v1 file over the reader's cap (MAX_SNAPSHOT_BYTES) is
// reported as unreadable, with its size. For one node, `iptables-nft-restore --test` of the same
// ruleset in a scratch network namespace is timed too (root only).
// Run: npm run bench -- scale          (1, 20 and 100 nodes at 10k Services)
//      SCALE_NODES=1,1000 SCALE_SERVICES=10000 npm run bench -- scale
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_SNAPSHOT_BYTES } from '../src/snapshot/io.ts';
import { generateCluster } from './gen/cluster.ts';
import type { GeneratedCluster } from './gen/cluster.ts';
import { SnapshotV2Writer } from '../src/snapshot/v2/write.ts';
import { cut, isPieced } from '../src/snapshot/v2/pieces.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODES = (process.env['SCALE_NODES'] ?? '1,20,100').split(',').map(Number);
const SERVICES = Number(process.env['SCALE_SERVICES'] ?? 10_000);
const ENDPOINTS = 3;
const MB = 1024 * 1024;
const HEAP_MB = 4096;

interface Timed {
  wallS: number;
  rssMB: number;
  status: number | null;
  stderr: string;
}

/** `cmd args` under /usr/bin/time -v: wall clock and peak RSS as GNU time reports them (to a file: a crash's stderr is long). */
function timed(cmd: string, args: string[], input?: string): Timed {
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
  return { wallS, rssMB: Number(rss[1]) / 1024, status: r.status, stderr: r.stderr ?? '' };
}

const fmt = (t: Timed): string => `${t.wallS.toFixed(1)} s, ${t.rssMB.toFixed(0)} MB peak RSS`;

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

/**
 * The cluster's unique content, by a measure independent of v2's cutting: each distinct section
 * once, and for iptables-save text each distinct chain (header and rules, counters lifted) once
 * plus every host's own counters.
 */
export class UniqueContent {
  private readonly seen = new Set<string>();
  bytes = 0;
  private add(text: string): void {
    const h = createHash('sha256').update(text).digest('base64');
    if (this.seen.has(h)) return;
    this.seen.add(h);
    this.bytes += Buffer.byteLength(text);
  }
  host(sections: Record<string, string>): void {
    for (const [name, text] of Object.entries(sections)) {
      const p = isPieced(name) ? cut(text) : undefined;
      if (p === undefined) {
        this.add(text);
        continue;
      }
      this.bytes += p.counters.length;
      const chains = new Map<string, string[]>();
      for (const line of p.pieces.join('').split('\n')) {
        const chain = line.startsWith(':') ? line.slice(1).split(' ')[0]! : (/^\[\] -A (\S+)/.exec(line)?.[1] ?? '');
        // push, not a copy a line: KUBE-SERVICES alone has 10k lines (copying was 1.9 s a node).
        const l = chains.get(chain);
        if (l === undefined) chains.set(chain, [line]);
        else l.push(line);
      }
      for (const lines of chains.values()) this.add(lines.join('\n'));
    }
  }
}

/** Writes the v2 snapshot of `g` host by host. */
async function writeV2(g: GeneratedCluster, path: string, unique: UniqueContent): Promise<SnapshotV2Writer> {
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
const v2Floor = (file: string): Timed =>
  timed(process.execPath, [
    '-e',
    `const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(${JSON.stringify(file)}).pipe(require('node:zlib').createGunzip()), crlfDelay: Infinity });
     (async () => { for await (const l of rl) if (l !== '') JSON.parse(l); })();`,
  ]);

const doctor = (file: string): Timed =>
  timed(process.execPath, [
    // The machine is shared: a doctor that would need more heap than the target's 2 GB (twice
    // over) fails here rather than take every other process's memory.
    `--max-old-space-size=${HEAP_MB}`,
    '--import',
    'tsx',
    'src/cli/main.ts',
    'doctor',
    '--snapshot',
    file,
    '-o',
    'json',
  ]);

const jsonFloor = (file: string): Timed =>
  timed(process.execPath, ['-e', `JSON.parse(require('node:fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`]);

/** iptables-nft-restore --test of node 0's ruleset in a scratch namespace; undefined when not root. */
function restoreTest(g: GeneratedCluster): Timed | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ns = `nc-scale-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns]);
  try {
    const h = g.host(0);
    // Calico's rules name its ipsets: the namespace gets them first (ipset restore of the same node).
    spawnSync('ip', ['netns', 'exec', ns, 'ipset', 'restore'], { input: h.sections['ipset']! });
    const rules = h.sections['iptables-nft-save']!;
    return timed('ip', ['netns', 'exec', ns, 'iptables-nft-restore', '--test', '-c'], rules);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

export async function run(): Promise<void> {
  const dir = join(tmpdir(), `netcheck-scale-${process.pid}`);
  spawnSync('mkdir', ['-p', dir]);
  try {
    console.log(
      `scale: load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} on this machine`,
    );
    for (const nodes of NODES) {
      const t0 = performance.now();
      const g = generateCluster({ nodes, services: SERVICES, endpointsPerService: ENDPOINTS });
      const label = `scale ${nodes} node(s) × ${SERVICES} Services × ${ENDPOINTS} endpoints`;
      const v1 = join(dir, `v1-${nodes}.json`);
      const size = writeV1(g, v1, MAX_SNAPSHOT_BYTES);
      console.log(
        `${label}: v1 snapshot ${(size / MB).toFixed(1)} MB (generated and written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      if (size > MAX_SNAPSHOT_BYTES) {
        console.log(
          `${label}: v1 cannot be read: larger than the ${MAX_SNAPSHOT_BYTES / MB} MiB a JSON string can hold`,
        );
      } else {
        const floor = jsonFloor(v1);
        const d = doctor(v1);
        if (d.status !== 0 && d.status !== 1) throw new Error(`doctor exited ${d.status}: ${d.stderr.slice(-800)}`);
        console.log(
          `${label}: v1 doctor ${fmt(d)}; floor readFileSync + JSON.parse ${fmt(floor)} (${(d.wallS / floor.wallS).toFixed(1)}×)`,
        );
      }
      if (nodes === 1) {
        const r = restoreTest(g);
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
      const f2 = v2Floor(v2);
      const d2 = doctor(v2);
      if (d2.status !== 0 && d2.status !== 1)
        console.log(
          `${label}: v2 doctor failed (exit ${d2.status}) after ${fmt(d2)}: ${d2.stderr.split('\n').slice(0, 3).join(' ')}`,
        );
      else
        console.log(
          `${label}: v2 doctor ${fmt(d2)}; floor gunzip + JSON.parse of every record ${fmt(f2)} (${(d2.wallS / f2.wallS).toFixed(1)}×)`,
        );
      rmSync(v2, { force: true });
    }
    console.log(
      `scale: load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} after`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
