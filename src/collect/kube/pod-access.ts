// HostAccess through a running probe pod: each probe command is one exec, directory listings and
// files come back framed from one exec each (probe-pod.ts FILES_SCRIPT). Command failures on the
// node become section errors worded exactly as the local probe words them; a failure to exec at
// all (pod gone, API server gone) rejects, because it is the node's failure, not a section's.
import type { CommandResult, HostAccess, ReadResult } from '../collect-host.ts';
import { MAX_PROBE_FILE_BYTES } from '../probe-commands.ts';
import { ExecTimeout, execInPod } from './exec.ts';
import type { KubeClient } from './client.ts';
import { PROBE_CONTAINER, filesArgv, parseFramed, runArgv } from './probe-pod.ts';

/** The exec worked but the container could not run the command (not an exit code). */
export class PodExecError extends Error {
  override readonly name = 'PodExecError';
}

export interface PodAccessOptions {
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

function decodeFile(lines: readonly string[]): string {
  return Buffer.from(lines.join(''), 'base64').toString('utf8');
}

function codeText(code: string): string {
  return code === 'TOOBIG' ? `larger than ${MAX_PROBE_FILE_BYTES} bytes` : code;
}

export function podAccess(client: KubeClient, namespace: string, pod: string, o: PodAccessOptions): HostAccess {
  const exec = async (argv: readonly string[]) => {
    const eo: { timeoutMs: number; signal?: AbortSignal } = { timeoutMs: o.commandTimeoutMs };
    if (o.signal !== undefined) eo.signal = o.signal;
    return execInPod(client, namespace, pod, PROBE_CONTAINER, argv, eo);
  };
  const framed = async (requests: readonly string[]) => {
    const r = await exec(filesArgv(MAX_PROBE_FILE_BYTES, requests));
    if (r.code !== 0) throw new PodExecError(`reading files in probe pod ${pod} failed: ${r.status.message ?? r.stderr.trim()}`);
    return parseFramed(r.stdout);
  };
  return {
    run: async (argv): Promise<CommandResult> => {
      const name = argv[0] ?? '';
      let r;
      try {
        r = await exec(runArgv(argv));
      } catch (e) {
        if (e instanceof ExecTimeout) return { stdout: '', stderr: '', code: null, startError: `${name}: timed out after ${o.commandTimeoutMs} ms` };
        throw e;
      }
      // The shell's "exec: X: not found" (127): neither the node nor the image has the tool.
      if (r.code === 127 && /not found/.test(r.stderr)) return { stdout: '', stderr: r.stderr, code: null, startError: `${name}: not found` };
      if (r.code === null) throw new PodExecError(`exec into probe pod ${pod} failed: ${r.status.message ?? r.status.reason ?? 'unknown error'}`);
      return { stdout: r.stdout, stderr: r.stderr, code: r.code };
    },
    listDir: async (dir): Promise<ReadResult<string[]>> => {
      const rec = (await framed([`D:${dir}`])).find((x) => x.type === 'D' && x.path === dir);
      if (rec === undefined) return { ok: false, error: 'not read' };
      return rec.code === 'OK' ? { ok: true, value: rec.lines.filter((l) => l !== '') } : { ok: false, error: codeText(rec.code) };
    },
    readFiles: async (paths) => {
      const out = new Map<string, ReadResult<string>>();
      if (paths.length === 0) return out;
      for (const rec of await framed(paths.map((p) => `F:${p}`))) {
        if (rec.type !== 'F') continue;
        out.set(rec.path, rec.code === 'OK' ? { ok: true, value: decodeFile(rec.lines) } : { ok: false, error: codeText(rec.code) });
      }
      return out;
    },
  };
}
