// startLab: validate, clear leftovers of dead runs, build, and hand back a RunningLab that runs
// commands, probes hosts, sends packets and always tears everything down.
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { probeLocal, type CommandResult } from '../../../src/collect/local-probe.ts';
import type { HostEntry } from '../../../src/snapshot/types.ts';
import { AgentClient } from './agent-client.ts';
import {
  deleteNetns,
  deleteNetnsSync,
  killAllIn,
  listNetns,
  netnsInodes,
  pidsInNetns,
  registerCleanup,
  removeStale,
  unregisterCleanup,
} from './cleanup.ts';
import { LabCommandError, LabTopologyError } from './errors.ts';
import { execCapture, inNetns, normalizeNetnsResult, type ExecOptions } from './exec.ts';
import { labDir, newLabPrefix } from './naming.ts';
import { planLab, type LabPlan } from './plan.ts';
import { checkSetupCommands } from './preflight.ts';
import { ReceiptBook, SourcePorts, sendProbe, type SendOptions, type SendResult } from './send.ts';
import { configureHost, createLinks, createNamespaces, prepareHost, type SetupContext } from './setup.ts';
import { waitForLinks } from './settle.ts';
import type { Lab } from './topology.ts';
import { validateLab } from './validate.ts';

export interface StartOptions {
  /** A label put into namespace names (after the pid and counter), to tell labs apart in `ip netns list`. */
  prefix?: string;
}

export interface RunningLab {
  /** Every namespace of this lab starts with it (`nclab-<pid>-<n>-[label-]`). */
  readonly prefix: string;
  readonly topology: Lab;
  /** Harness namespaces of dead processes removed when this lab started. */
  readonly removedStale: readonly string[];
  /** The namespace of a host. */
  netns(host: string): string;
  /** The host's files directory: HostSpec.files live under it; the probe reads it as its `root`. */
  root(host: string): string;
  /** Runs argv inside the host's namespace; never throws (see CommandResult). */
  exec(host: string, argv: readonly string[], opts?: ExecOptions): Promise<CommandResult>;
  /** The snapshot HostEntry of a host, from the real probe (src/collect/local-probe.ts). */
  probe(host: string): Promise<HostEntry>;
  /** Sends one real packet and reports what arrived where (send.ts). */
  send(opts: SendOptions): Promise<SendResult>;
  /** Pids of the processes living in the lab's namespaces now (agents, their socat/ping). */
  processes(): number[];
  /** Removes everything; idempotent. */
  stop(): Promise<void>;
}

class LabInstance implements RunningLab {
  readonly agents = new Map<string, AgentClient>();
  readonly book = new ReceiptBook();
  private readonly sourcePorts = new SourcePorts();
  readonly dir: string;
  private readonly namespaces: string[];
  private stopping: Promise<void> | undefined;

  constructor(
    readonly prefix: string,
    readonly topology: Lab,
    readonly removedStale: readonly string[],
  ) {
    this.dir = labDir(prefix);
    this.namespaces = topology.hosts.map((h) => prefix + h.name);
    registerCleanup(prefix, () => this.stopSync());
  }

  private known(host: string): void {
    if (!this.topology.hosts.some((h) => h.name === host)) throw new LabTopologyError(`unknown lab host "${host}"`);
  }

  netns(host: string): string {
    this.known(host);
    return this.prefix + host;
  }

  root(host: string): string {
    this.known(host);
    return join(this.dir, host);
  }

  async exec(host: string, argv: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
    return normalizeNetnsResult(argv, await execCapture(inNetns(this.netns(host), argv), opts));
  }

  probe(host: string): Promise<HostEntry> {
    return probeLocal({ run: (argv) => this.exec(host, argv), root: this.root(host) });
  }

  send(opts: SendOptions): Promise<SendResult> {
    if (this.stopping !== undefined) return Promise.reject(new LabTopologyError('send on a stopped lab'));
    return sendProbe(this.agents, this.book, this.sourcePorts, opts);
  }

  processes(): number[] {
    return pidsInNetns(netnsInodes(this.namespaces));
  }

  startAgents(): Promise<void> {
    for (const h of this.topology.hosts) {
      this.agents.set(
        h.name,
        AgentClient.spawn(h.name, this.prefix + h.name, (host, e) => this.book.add(host, e)),
      );
    }
    return Promise.all([...this.agents.values()].map((a) => a.ready)).then(() => undefined);
  }

  /** For the exit hook: no awaiting allowed there. */
  private stopSync(): void {
    for (const a of this.agents.values()) a.kill();
    killAllIn(netnsInodes(this.namespaces));
    deleteNetnsSync(this.namespaces);
    rmSync(this.dir, { recursive: true, force: true });
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    // Processes first: one inside a namespace keeps it alive after `ip netns del`, invisible to
    // `ip netns list`. Agents stop (and take their socat and ping children along); whatever else
    // runs in the lab's namespaces was started by the lab too and is killed.
    const inodes = netnsInodes(this.namespaces);
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    for (let i = 0; i < 50 && killAllIn(inodes).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const stuck = pidsInNetns(inodes);
    await deleteNetns(this.namespaces);
    await rm(this.dir, { recursive: true, force: true });
    const left = listNetns(this.prefix);
    unregisterCleanup(this.prefix);
    if (left.length > 0 || stuck.length > 0) {
      throw new LabCommandError({
        step: 'stop',
        command: `ip netns del ${this.namespaces.join(' ')}`,
        exitCode: null,
        stderr: `still present after deletion: namespaces [${left.join(' ')}], processes [${stuck.join(' ')}]`,
      });
    }
  }
}

/** Awaits every promise, then rethrows the first failure: cleanup must not race setup still running. */
async function allSettled(ps: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(ps)).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/**
 * Builds the lab; fails before creating anything when a command the setup runs is missing, and on
 * any later failure removes whatever was created and rethrows the first error.
 */
export async function startLab(topology: Lab, opts: StartOptions = {}): Promise<RunningLab> {
  validateLab(topology);
  const prefix = newLabPrefix(opts.prefix);
  const nsOf = (h: string) => prefix + h;
  const plan = planLab(topology, nsOf);
  checkSetupCommands(plan);
  const removedStale = await removeStale();
  const lab = new LabInstance(prefix, topology, removedStale);
  const ctx: SetupContext = { nsOf, rootOf: (h) => lab.root(h) };
  try {
    await createNamespaces(topology.hosts.map((h) => nsOf(h.name)));
    // Agents start (a node process each, the largest part of startLab) while the network is built;
    // a setup error is the one reported when both fail.
    const agents = lab.startAgents();
    await allSettled([setUp(topology, plan, ctx), agents]);
    return lab;
  } catch (e) {
    // A cleanup that leaves something behind is said along with the error that caused it.
    const stop = await lab.stop().then(
      () => undefined,
      (s: unknown) => s,
    );
    if (stop !== undefined && e instanceof Error)
      e.message += `; cleanup: ${stop instanceof Error ? stop.message : String(stop)}`;
    throw e;
  }
}

async function setUp(topology: Lab, plan: LabPlan, ctx: SetupContext): Promise<void> {
  await allSettled(plan.hosts.map((h) => prepareHost(h, ctx)));
  await createLinks(plan);
  await allSettled(plan.hosts.map((h) => configureHost(h, ctx)));
  await waitForLinks(topology, ctx.nsOf);
}
