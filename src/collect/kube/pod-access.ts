// HostAccess through a running probe pod. Everything comes back from one exec of the batch script
// (probe-pod.ts batchScript), started on the first call and shared by the rest: each command keeps
// its own stdout, stderr and exit code, worded as the local probe words them. A failure to exec at
// all (pod gone, API server gone) rejects, because it is the node's failure, not a section's.
import type { CommandResult, HostAccess, ReadResult } from '../collect-host.ts';
import { MAX_PROBE_FILE_BYTES, PROBE_COMMANDS, PROBE_DIRECTORIES, PROBE_FILES } from '../../snapshot/sections.ts';
import type { KubeClient } from './client.ts';
import { ExecTimeout, execInPod } from './exec.ts';
import type { ExecResult } from './exec.ts';
import { PROBE_CONTAINER, batchArgv, parseBatch } from './probe-pod.ts';
import type { BatchRequest, BatchResult } from './probe-pod.ts';

/** The exec worked but the container could not run the batch (not an exit code of a command). */
export class PodExecError extends Error {
  override readonly name = 'PodExecError';
}

export interface PodAccessOptions {
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

/** What the probe asks of every node (src/snapshot/sections.ts). */
export function probeBatch(commandTimeoutMs: number): BatchRequest {
  return {
    commands: PROBE_COMMANDS.map((c) => ({ section: c.section, argv: c.argv })),
    dirs: PROBE_DIRECTORIES.map((d) => ({ dir: d.dir, suffixes: d.suffixes })),
    files: PROBE_FILES.map((f) => f.path),
    maxFileBytes: MAX_PROBE_FILE_BYTES,
    commandTimeoutSeconds: Math.max(1, Math.round(commandTimeoutMs / 1000)),
  };
}

function codeText(code: string): string {
  return code === 'TOOBIG' ? `larger than ${MAX_PROBE_FILE_BYTES} bytes` : code;
}

export function podAccess(client: KubeClient, namespace: string, pod: string, o: PodAccessOptions): HostAccess {
  const request = probeBatch(o.commandTimeoutMs);
  let batch: Promise<BatchResult> | undefined;
  return batchAccess(() => (batch ??= runBatch(client, namespace, pod, request, o)), request, o);
}

/** Execs batchScript(request) into the pod and parses its output. */
export async function runBatch(
  client: KubeClient,
  namespace: string,
  pod: string,
  request: BatchRequest,
  o: PodAccessOptions,
): Promise<BatchResult> {
  const r = await execProbe(client, namespace, pod, batchArgv(request), request, o);
  return parseBatch(r.stdoutBytes);
}

/** Execs one probe script, as a node-level failure (PodExecError) when it cannot run or fails. */
export async function execProbe(
  client: KubeClient,
  namespace: string,
  pod: string,
  argv: string[],
  request: BatchRequest,
  o: PodAccessOptions,
): Promise<ExecResult> {
  const eo: { timeoutMs: number; signal?: AbortSignal } = {
    timeoutMs: o.commandTimeoutMs * (request.commands.length + 2),
  };
  if (o.signal !== undefined) eo.signal = o.signal;
  let r: ExecResult;
  try {
    r = await execInPod(client, namespace, pod, PROBE_CONTAINER, argv, eo);
  } catch (e) {
    if (e instanceof ExecTimeout)
      throw new PodExecError(`the probe in pod ${pod} did not finish within ${Math.round(eo.timeoutMs / 1000)} s`);
    throw e;
  }
  if (r.code !== 0)
    throw new PodExecError(
      `the probe script in pod ${pod} failed: ${r.status.message ?? r.status.reason ?? ''} ${r.stderr.trim().slice(0, 300)}`.trim(),
    );
  return r;
}

/** HostAccess over a batch's results, however they were moved (one batch, or by hashes). */
export function batchAccess(
  result: () => Promise<BatchResult>,
  request: BatchRequest,
  o: PodAccessOptions,
): HostAccess {
  return {
    run: async (argv): Promise<CommandResult> => {
      const name = argv[0] ?? '';
      const section = request.commands.find((c) => c.argv === argv || c.argv.join('\0') === argv.join('\0'))?.section;
      const r = section === undefined ? undefined : (await result()).commands.get(section);
      if (r === undefined)
        return { stdout: '', stderr: '', code: null, startError: `${name}: no result from the probe pod` };
      // Exit 127 with "not found": neither the node nor the image has the tool. 124: timeout(1).
      if (r.code === 127 && /not found/.test(r.stderr))
        return { stdout: '', stderr: r.stderr, code: null, startError: `${name}: not found` };
      if (r.code === 124)
        return {
          stdout: r.stdout,
          stderr: r.stderr,
          code: null,
          startError: `${name}: timed out after ${o.commandTimeoutMs} ms`,
        };
      return {
        stdout: r.stdout,
        stderr: r.stderr,
        code: r.code,
        ...(r.pieced !== undefined ? { pieced: r.pieced } : {}),
      };
    },
    listDir: async (dir): Promise<ReadResult<string[]>> => {
      const rec = (await result()).records.find((x) => x.type === 'D' && x.path === dir);
      if (rec === undefined) return { ok: false, error: 'not read' };
      return rec.code === 'OK'
        ? { ok: true, value: rec.lines.filter((l) => l !== '') }
        : { ok: false, error: codeText(rec.code) };
    },
    readFiles: async (paths) => {
      const out = new Map<string, ReadResult<string>>();
      const records = (await result()).records;
      for (const p of paths) {
        const rec = records.find((x) => x.type === 'F' && x.path === p);
        if (rec === undefined) continue;
        out.set(
          p,
          rec.code === 'OK'
            ? { ok: true, value: Buffer.from(rec.lines.join(''), 'base64').toString('utf8') }
            : { ok: false, error: codeText(rec.code) },
        );
      }
      return out;
    },
  };
}
