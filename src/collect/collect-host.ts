// Builds one host's snapshot entry from a way of reaching that host: the same commands, files
// and error wording whether the host is this machine (local-probe.ts) or a node reached through
// a probe pod (kube/probe-runner.ts), so that both give identical entries for identical hosts.
import type { HostEntry } from '../snapshot/types.ts';
import { definePieced, type PiecedSection, piecedSection } from '../snapshot/pieced.ts';
import { PROBE_COMMANDS, PROBE_DIRECTORIES, PROBE_FILES, fileSection } from '../snapshot/sections.ts';

export interface CommandResult {
  stdout: string;
  /**
   * The output held in pieces shared with other nodes (stdout is then ''), as collection by hashes
   * moved it: the model parses such a section once for every node holding its pieces
   * (model/parse/iptables-shared.ts) instead of one joined text per node.
   */
  pieced?: PiecedSection;
  stderr: string;
  /** Exit code; null when the command could not be started (see `startError`). */
  code: number | null;
  startError?: string;
}

/** A directory listing or a file's text, or the errno-style code saying why not (`ENOENT`). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** How collectHost reaches a host. Every method resolves; none throws for a host-side failure. */
export interface HostAccess {
  run(argv: readonly string[]): Promise<CommandResult>;
  listDir(dir: string): Promise<ReadResult<string[]>>;
  readFiles(paths: readonly string[]): Promise<Map<string, ReadResult<string>>>;
}

/** One line saying why a section is missing, from a failed command. */
export function commandError(argv: readonly string[], r: CommandResult): string | undefined {
  if (r.startError !== undefined) return r.startError;
  if (r.code === 0) return undefined;
  const msg = r.stderr.trim().split('\n').slice(0, 3).join(' ').slice(0, 500);
  return `${argv[0] ?? ''} exited ${r.code}${msg ? `: ${msg}` : ''}`;
}

/** Sections in a stable order so that snapshots diff cleanly. */
export function sortEntry(e: HostEntry): HostEntry {
  const sort = (o: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const k of Object.keys(o).sort((a, b) => a.localeCompare(b))) {
      // A section held in pieces stays so: reading it would join it.
      const p = piecedSection(o, k);
      if (p !== undefined) definePieced(out, k, p);
      else out[k] = o[k]!;
    }
    return out;
  };
  return { sections: sort(e.sections), errors: sort(e.errors) };
}

/** Runs every PROBE_COMMANDS entry and reads every probe file through `access`. */
export async function collectHost(access: HostAccess): Promise<HostEntry> {
  const entry: HostEntry = { sections: {}, errors: {} };
  const commands = PROBE_COMMANDS.map(async (c) => {
    const r = await access.run(c.argv);
    const err = commandError(c.argv, r);
    if (err === undefined && r.pieced !== undefined) definePieced(entry.sections, c.section, r.pieced);
    else if (err === undefined) entry.sections[c.section] = r.stdout;
    else entry.errors[c.section] = err;
  });
  const files = (async () => {
    const paths: string[] = [];
    for (const d of PROBE_DIRECTORIES) {
      const listing = await access.listDir(d.dir);
      if (!listing.ok) {
        entry.errors[fileSection(d.dir)] = `${d.dir}: ${listing.error}`;
        continue;
      }
      for (const n of [...listing.value].sort()) if (d.suffixes.some((s) => n.endsWith(s))) paths.push(`${d.dir}/${n}`);
    }
    for (const f of PROBE_FILES) paths.push(f.path);
    const read = await access.readFiles(paths);
    for (const p of paths) {
      const r = read.get(p) ?? { ok: false, error: 'not read' };
      if (r.ok) entry.sections[fileSection(p)] = r.value;
      else entry.errors[fileSection(p)] = `${p}: ${r.error}`;
    }
  })();
  // One Promise.all so that a failure of any part (a lost API server) rejects once, handled.
  await Promise.all([...commands, files]);
  return sortEntry(entry);
}
