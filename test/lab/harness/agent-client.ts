// The harness side of agent.mjs: starts one agent inside a namespace, sends JSON-line requests,
// matches responses by id and hands `recv` events to the lab.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { LabCommandError } from './errors.ts';

const AGENT_PATH = fileURLToPath(new URL('./agent.mjs', import.meta.url));

export type Proto = 'udp' | 'tcp' | 'icmp';

/** A packet that reached a socket of an agent (see agent.mjs). */
export interface RecvEvent {
  proto: Proto;
  token: string;
  /** Source address as the receiving socket saw it. */
  from: string;
  fromPort?: number;
  /** Local address of the receiving socket (0.0.0.0 for a wildcard UDP socket). */
  local?: string;
  port?: number;
}

interface Pending {
  op: string;
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Pipes are libuv handles; an unref'd one does not keep the process alive. */
interface Refable {
  ref(): void;
  unref(): void;
}

export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderr = '';
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  private constructor(
    readonly host: string,
    readonly netns: string,
    private readonly child: ChildProcessWithoutNullStreams,
    onRecv: (host: string, e: RecvEvent) => void,
    onReady: (err?: Error) => void,
  ) {
    this.exitedPromise = new Promise((resolve) => child.on('close', () => resolve()));
    const gone = (why: string) => {
      if (this.exited) return;
      this.exited = true;
      const err = this.failure(why);
      // Before 'ready', the error should carry the agent's whole stderr: wait for the pipes.
      void this.exitedPromise.then(() => onReady(this.failure(why)));
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    };
    child.on('exit', () => gone('agent exited'));
    // The pipe may report the end before the exit is reaped; waiting requests fail either way.
    child.stdout.on('close', () => gone('agent closed its stdout'));
    child.on('error', (e) => onReady(this.failure(e.message)));
    child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-4000);
    });
    child.stdin.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (msg['ev'] === 'ready') onReady();
      else if (msg['ev'] === 'recv') onRecv(host, msg as unknown as RecvEvent);
      else if (typeof msg['id'] === 'number') this.settle(msg['id'], msg);
    });
    // The lab is stopped explicitly or by the exit hook (cleanup.ts); a forgotten stop() must
    // not keep the test process alive, so the pipes hold the event loop only while a request waits.
    child.unref();
    this.idle();
  }

  /**
   * Starts the agent in `netns`. The process exists (and `kill()` works) at once; `ready`
   * settles when the agent says it is listening for requests.
   */
  static spawn(
    host: string,
    netns: string,
    onRecv: (host: string, e: RecvEvent) => void,
    timeoutMs = 15_000,
  ): AgentClient {
    // A minimal environment: NODE_OPTIONS (e.g. a loader) would slow every start, and the
    // test runner's NODE_TEST_CONTEXT has nothing to do with the agent.
    const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, AGENT_PATH], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    let settle: (err?: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody may be awaiting yet (setup runs in parallel); the rejection is still seen by
    // whoever awaits `ready` later.
    ready.catch(() => undefined);
    let settled = false;
    const agent: AgentClient = new AgentClient(host, netns, child, onRecv, (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      agent.starting = false;
      agent.idle();
      settle(err);
    });
    agent.ready = ready;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      agent.starting = false;
      agent.kill();
      settle(agent.failure(`not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    agent.busy();
    return agent;
  }

  /** Settles when the agent is ready; rejects with its stderr if it could not start. */
  ready: Promise<void> = Promise.resolve();
  private starting = true;

  get pid(): number | undefined {
    return this.child.pid;
  }

  private failure(why: string): LabCommandError {
    return new LabCommandError({
      step: 'agent',
      host: this.host,
      netns: this.netns,
      command: `ip netns exec ${this.netns} node ${AGENT_PATH} (${why})`,
      exitCode: this.child.exitCode,
      stderr: this.stderr,
    });
  }

  private busy(): void {
    for (const s of [this.child.stdout, this.child.stdin, this.child.stderr]) (s as unknown as Refable).ref();
  }

  private idle(): void {
    if (this.pending.size > 0 || this.starting) return;
    for (const s of [this.child.stdout, this.child.stdin, this.child.stderr]) (s as unknown as Refable).unref();
  }

  private settle(id: number, msg: Record<string, unknown>): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.idle();
    if (typeof msg['failure'] === 'string') p.reject(this.failure(`${p.op} failed: ${msg['failure']}`));
    else p.resolve(msg);
  }

  /** Sends one request; resolves with the agent's response object. */
  request(req: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.failure(`agent is gone (request ${String(req['op'])})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.idle();
        reject(this.failure(`no answer to ${String(req['op'])} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { op: String(req['op']), resolve, reject, timer });
      this.busy();
      this.child.stdin.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  /** Synchronous and idempotent: used by the exit hook too. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    // Hold the event loop until 'close': the pipes may close before the exit is reaped, and the
    // process handle itself is unref'd.
    this.child.ref();
    this.busy();
    this.kill();
    await this.exitedPromise;
  }
}
