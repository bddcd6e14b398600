// Runs a command in a pod over the API server's exec WebSocket (client-node's Exec, channel
// protocol v5/v4.channel.k8s.io): stdout and stderr stream back on channels 1 and 2 and the exit
// status arrives as a metav1.Status on channel 3. Streaming, unlike reading the container log,
// has no size limit: the kubelet rotates logs at 10 MiB, and a 100k-rule iptables-save is ~25 MiB.
import { Writable } from 'node:stream';
import { Exec } from '@kubernetes/client-node';
import { ApiError, TransportError, requestInfo } from './client.ts';
import type { KubeStatus } from './client.ts';
import type { KubeClient } from './client.ts';

export interface ExecResult {
  /** stdout as bytes, for byte-counted framing. */
  stdoutBytes: Buffer;
  stdout: string;
  stderr: string;
  /** Exit code from the Status; null when the Status is a failure without one. */
  code: number | null;
  status: KubeStatus;
}

export interface ExecOptions {
  /** Whole-command limit. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Sees stderr as it arrives (a capture's "listening on" says it is ready). */
  onStderr?: (chunk: string) => void;
}

/** Thrown when the command outlives its timeout; the stream is closed. */
export class ExecTimeout extends Error {
  override readonly name = 'ExecTimeout';
}

class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  constructor(private readonly watch?: (chunk: string) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.watch?.(chunk.toString('utf8'));
    cb();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
}

/** The subset of the ws WebSocket that client-node hands back. */
interface Socket {
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  close(): void;
  terminate?(): void;
}

/** Exit code of an exec Status (kubelet: reason NonZeroExitCode, cause ExitCode). */
export function exitCodeOfStatus(s: KubeStatus): number | null {
  if (s.status === 'Success') return 0;
  if (s.reason === 'NonZeroExitCode') {
    const c = s.details?.causes?.find((x) => x.reason === 'ExitCode');
    const n = Number(c?.message);
    if (Number.isInteger(n)) return n;
  }
  return null;
}

function handshakeError(e: unknown, path: string): Error {
  const info = requestInfo('GET', path);
  const err = e as NodeJS.ErrnoException & { message?: string };
  // ws reports a refused upgrade as "Unexpected server response: 403".
  const m = /Unexpected server response: (\d+)/.exec(err?.message ?? '');
  if (m !== null) return new ApiError(Number(m[1]), undefined, err.message ?? '', info);
  return new TransportError(err?.code ?? 'ECONNRESET', err?.message ?? String(e), info);
}

export async function execInPod(
  client: KubeClient,
  namespace: string,
  pod: string,
  container: string,
  argv: readonly string[],
  o: ExecOptions,
): Promise<ExecResult> {
  const path = `/api/v1/namespaces/${namespace}/pods/${pod}/exec`;
  const stdout = new Sink();
  const stderr = new Sink(o.onStderr);
  let status: KubeStatus | undefined;
  if (o.signal?.aborted) throw new TransportError('ABORTED', 'aborted', requestInfo('GET', path));
  let socket: Socket;
  const handshake = new Exec(client.execConfig).exec(
    namespace,
    pod,
    container,
    [...argv],
    stdout,
    stderr,
    null,
    false,
    (s) => {
      status = s as KubeStatus;
    },
  ) as unknown as Promise<Socket>;
  const handshakeLimit = client.access.requestTimeoutMs > 0 ? client.access.requestTimeoutMs : o.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    socket = await Promise.race([
      handshake,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${handshakeLimit} ms`), { code: 'TIMEOUT' })),
          handshakeLimit,
        );
      }),
    ]);
  } catch (e) {
    // A late socket from a handshake that lost the race must not linger.
    handshake.then(
      (s) => s.close(),
      () => undefined,
    );
    throw handshakeError(e, path);
  } finally {
    clearTimeout(timer);
  }

  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) reject(err);
      else resolve();
    };
    const kill = () => (socket.terminate !== undefined ? socket.terminate() : socket.close());
    const t = setTimeout(() => {
      kill();
      finish(new ExecTimeout(`timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    const onAbort = () => {
      kill();
      finish(new TransportError('ABORTED', 'aborted', requestInfo('GET', path)));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('close', () => finish());
    socket.on('error', (e: Error) =>
      finish(
        new TransportError((e as NodeJS.ErrnoException).code ?? 'ECONNRESET', e.message, requestInfo('GET', path)),
      ),
    );
  });
  if (status === undefined) {
    throw new TransportError(
      'ECONNRESET',
      'the exec stream closed before the command reported its exit status',
      requestInfo('GET', path),
    );
  }
  const bytes = stdout.bytes();
  return {
    stdoutBytes: bytes,
    stdout: bytes.toString('utf8'),
    stderr: stderr.text(),
    code: exitCodeOfStatus(status),
    status,
  };
}
