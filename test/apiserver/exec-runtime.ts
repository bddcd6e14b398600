// The container runtime behind the double's exec: a command exec'd into a probe pod runs in the
// network namespace that stands for the pod's node, its output framed on the v4/v5 channel
// protocol (stdout 1, stderr 2, status 3), and the exit status written as the kubelet relays it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { withPodProcesses } from './pod-processes.ts';
import type { NodeSpec } from './server.ts';
import type { Obj } from './status.ts';
import type { WsConnection } from './websocket.ts';

/** The PATH a probe container's commands are looked up in. */
const EXEC_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export class ExecRuntime {
  private readonly children = new Set<ChildProcess>();
  private readonly execCache = new Map<string, Promise<{ stdout: Buffer; stderr: Buffer; code: number | null }>>();

  /**
   * @param backend "netns": every exec runs for real; "cached": each distinct command runs once,
   * in the first node's namespace, then is replayed.
   * @param nodes the nodes in the order they were added.
   */
  constructor(
    private readonly backend: 'netns' | 'cached',
    private readonly nodes: () => NodeSpec[],
  ) {}

  /** Kills every running command (the API server went away). */
  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }

  private exitStatus(command: string[], code: number | null, signal: string | null): Obj {
    if (code === 0) return { metadata: {}, status: 'Success' };
    if (code !== null) {
      return {
        metadata: {},
        status: 'Failure',
        message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
      };
    }
    return {
      metadata: {},
      status: 'Failure',
      message: `error executing command in container: command killed by ${signal ?? 'signal'}`,
      reason: 'InternalError',
      code: 500,
    };
  }

  /**
   * The runtime's answer to a command it cannot start (runc: executable file not found in $PATH):
   * an InternalError Status without an exit code, as the kubelet relays it.
   */
  private startFailure(command: string[]): Obj | undefined {
    const cmd = command[0] ?? '';
    const found = cmd.includes('/') ? isExecutable(cmd) : EXEC_PATH.split(':').some((d) => isExecutable(join(d, cmd)));
    if (found) return undefined;
    const why = `error executing command in container: failed to exec in container: failed to start exec "${randomUUID().replace(/-/g, '')}": OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": executable file not found in $PATH: unknown`;
    return {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${why}`,
      reason: 'InternalError',
      details: { causes: [{ message: why }] },
      code: 500,
    };
  }

  /** Spawns the command in the node's namespace, as the container runtime would in the pod. */
  private spawnInNode(netns: string, command: string[], pods: readonly string[] = []): ChildProcess {
    // hostPID stand-in: a PID namespace of its own, so `nsenter -t 1` reaches the node's
    // namespaces (its PID 1 lives in the node's network namespace), never this machine's.
    const child = spawn(
      'ip',
      ['netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount-proc', '--', ...withPodProcesses(pods, command)],
      {
        env: { PATH: EXEC_PATH, HOME: '/root' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    this.children.add(child);
    child.on('close', () => this.children.delete(child));
    return child;
  }

  /** Runs an exec'd command on `node` and streams its output and exit status to the WebSocket. */
  async run(ws: WsConnection, node: NodeSpec | undefined, command: string[]): Promise<void> {
    const frame = (ch: number, d: Buffer) => Buffer.concat([Buffer.from([ch]), d]);
    if (node?.netns === undefined) {
      ws.send(frame(3, Buffer.from(JSON.stringify(this.exitStatus(command, null, 'no node namespace')))));
      ws.close();
      return;
    }
    const failed = this.startFailure(command);
    if (failed !== undefined) {
      ws.send(frame(3, Buffer.from(JSON.stringify(failed))));
      ws.close();
      return;
    }
    if (this.backend === 'cached') {
      const first = this.nodes().find((n) => n.netns !== undefined)!;
      const key = command.join('\0');
      let p = this.execCache.get(key);
      if (p === undefined) {
        p = new Promise((resolve) => {
          const child = this.spawnInNode(first.netns!, command);
          const out: Buffer[] = [];
          const err: Buffer[] = [];
          child.stdout!.on('data', (d: Buffer) => out.push(d));
          child.stderr!.on('data', (d: Buffer) => err.push(d));
          child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code }));
        });
        this.execCache.set(key, p);
      }
      const r = await p;
      for (let i = 0; i < r.stdout.length; i += 65536) ws.send(frame(1, r.stdout.subarray(i, i + 65536)));
      if (r.stderr.length > 0) ws.send(frame(2, r.stderr));
      ws.send(frame(3, Buffer.from(JSON.stringify(this.exitStatus(command, r.code, null)))));
      ws.close();
      return;
    }
    const child = this.spawnInNode(node.netns, command, node.podNetns);
    ws.onClose = () => {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    };
    const pump = (stream: NodeJS.ReadableStream, ch: number) =>
      stream.on('data', (d: Buffer) => {
        if (!ws.send(frame(ch, d))) {
          stream.pause();
          ws.socket.once('drain', () => stream.resume());
        }
      });
    pump(child.stdout!, 1);
    pump(child.stderr!, 2);
    child.on('close', (code, signal) => {
      ws.send(frame(3, Buffer.from(JSON.stringify(this.exitStatus(command, code, signal)))));
      ws.close();
    });
  }
}
