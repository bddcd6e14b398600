// Probes nodes through short-lived pods: create, wait until running, exec every probe command,
// delete. Pods start in parallel (up to `maxPods` alive at once); creates and exec sessions are
// limited to `concurrency` in flight, so pod start-up latency overlaps while the load on the API
// server and kubelets stays bounded. A pod is created only while fewer than `concurrency` made
// ones wait for an exec slot: its deadline (activeDeadlineSeconds) then covers its own node's
// start and collection, not its place in the cluster's queue (issue #15: with 100 pods made at
// once and 20 slots, the last pods' deadlines ran through four rounds of other nodes' collection).
// A node that cannot be probed is recorded and the others go on; a failure that dooms every node
// (API server gone, Pod Security, RBAC) stops the run at once.
import { setMaxListeners } from 'node:events';
import { ClusterError } from '../../lib/errors.ts';
import type { HostEntry, KubeObject } from '../../snapshot/types.ts';
import { collectHost } from '../collect-host.ts';
import { ApiError, TransportError } from './client.ts';
import type { KubeClient } from './client.ts';
import { deletePod } from './cleanup.ts';
import type { PodRef, ProbeRegistry } from './cleanup.ts';
import { apiErrorMessage, isNotFound, isPodSecurityRejection, toClusterError, transportMessage } from './errors.ts';
import { dedupAccess } from './dedup-access.ts';
import type { ContentStore } from './dedup-access.ts';
import { PodExecError, podAccess } from './pod-access.ts';
import { LABEL_RUN, PROBE_CONTAINER, probeNamespaceManifest, probePodManifest } from './probe-pod.ts';

export interface NodeTarget {
  name: string;
  /** Why the node cannot run a pod (NotReady), when known from its conditions. */
  unavailable?: string;
}

export interface ProbeRunOptions {
  namespace: string;
  /** netcheck owns the namespace: create it (with the privileged label) when missing. */
  ownNamespace: boolean;
  image: string;
  imagePullSecrets: readonly string[];
  runId: string;
  owner: string;
  concurrency: number;
  maxPods: number;
  startTimeoutMs: number;
  commandTimeoutMs: number;
  deadlineSeconds: number;
  registry: ProbeRegistry;
  signal: AbortSignal;
  onProgress?: (event: ProbeProgress) => void;
  /**
   * Work to do in each running pod instead of collecting it (`--active`); the pod is deleted when
   * it settles. It holds no concurrency slot: jobs may wait for one another (every pod alive).
   */
  job?: (node: string, pod: string, signal: AbortSignal) => Promise<void>;
  /** Collect by hashes, moving only what this store lacks (dedup-access.ts); else one full batch a node. */
  store?: ContentStore;
  /**
   * Takes each node's entry as it comes (a streamed snapshot writer); the outcome then keeps only
   * its errors, so that memory does not grow with the cluster.
   */
  onHost?: (node: string, entry: HostEntry) => Promise<void>;
}

export type ProbeProgress = {
  node: string;
  phase: 'creating' | 'waiting' | 'collecting' | 'done' | 'failed';
  detail?: string;
};

export interface ProbeOutcome {
  hosts: Record<string, HostEntry>;
  warnings: string[];
}

/** A failure confined to one node. */
export class NodeProbeError extends Error {
  override readonly name = 'NodeProbeError';
}

/** A counting semaphore. */
class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.free++;
  }
  async with<T>(f: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await f();
    } finally {
      this.release();
    }
  }
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: unknown;
  terminated?: { reason?: string; exitCode?: number; message?: string };
}
interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  containerStatuses?: { name?: string; state?: ContainerState }[];
}

const PULL_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
  'SignatureValidationFailed',
]);
const START_FAILURES = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
  'PreStartHookError',
]);

/** Reads a pod's status: running, still starting (with why), or failed for good (with a sentence). */
export function podState(
  pod: KubeObject,
  node: string,
  image: string,
): { state: 'running' } | { state: 'pending'; why: string } | { state: 'failed'; message: string } {
  const st = (pod['status'] ?? {}) as PodStatus;
  const cs = st.containerStatuses?.find((c) => c.name === PROBE_CONTAINER)?.state;
  if (st.phase === 'Failed' || st.phase === 'Succeeded') {
    const why = [st.reason, st.message].filter((x) => x).join(': ') || cs?.terminated?.reason || st.phase;
    return { state: 'failed', message: `the probe pod on node ${node} stopped before netcheck could use it (${why})` };
  }
  const w = cs?.waiting;
  if (w?.reason !== undefined && PULL_FAILURES.has(w.reason)) {
    return {
      state: 'failed',
      message: `node ${node} cannot pull the probe image "${image}" (${w.reason}${w.message ? `: ${w.message}` : ''}); if the node cannot reach that registry, mirror the image and pass --image (and --image-pull-secret if the registry needs credentials)`,
    };
  }
  if (w?.reason !== undefined && START_FAILURES.has(w.reason)) {
    return {
      state: 'failed',
      message: `the probe container on node ${node} cannot start (${w.reason}${w.message ? `: ${w.message}` : ''})`,
    };
  }
  if (st.phase === 'Running' && cs?.running !== undefined) return { state: 'running' };
  const cond = st.conditions?.find((c) => c.status === 'False' && c.reason);
  return { state: 'pending', why: w?.reason ?? cond?.reason ?? st.phase ?? 'not yet reported' };
}

interface Waiter {
  node: string;
  timeoutMs: number;
  deadline: number;
  lastWhy: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * Waits for many pods with one list call per tick (label selector of the run) instead of one
 * request per pod: 100 pods cost one request every few hundred milliseconds.
 */
class PodPoller {
  private readonly waiters = new Map<string, Waiter>();
  private running = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly runId: string,
    private readonly image: string,
    private readonly signal: AbortSignal,
  ) {}

  wait(name: string, node: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.set(name, {
        node,
        timeoutMs,
        deadline: Date.now() + timeoutMs,
        lastWhy: 'not yet reported',
        resolve,
        reject,
      });
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    const started = Date.now();
    while (this.waiters.size > 0) {
      // Fast at first (pods usually start within a second or two), then back off.
      const interval = Date.now() - started < 5000 ? 150 : 500;
      await new Promise((r) => setTimeout(r, interval));
      if (this.signal.aborted) {
        this.failAll(
          new TransportError('ABORTED', 'aborted', { method: 'GET', path: '', verb: 'list', resource: 'pods' }),
        );
        break;
      }
      let pods: KubeObject[];
      try {
        pods = await this.client.list(
          `/api/v1/namespaces/${this.namespace}/pods`,
          { labelSelector: `${LABEL_RUN}=${this.runId}` },
          this.signal,
        );
      } catch (e) {
        this.failAll(e as Error);
        break;
      }
      const byName = new Map(pods.map((p) => [((p['metadata'] ?? {}) as { name?: string }).name ?? '', p]));
      const now = Date.now();
      for (const [name, w] of this.waiters) {
        const pod = byName.get(name);
        if (pod !== undefined) {
          const s = podState(pod, w.node, this.image);
          if (s.state === 'running') {
            this.waiters.delete(name);
            w.resolve();
            continue;
          }
          if (s.state === 'failed') {
            this.waiters.delete(name);
            w.reject(new NodeProbeError(s.message));
            continue;
          }
          w.lastWhy = s.why;
        }
        if (now >= w.deadline) {
          this.waiters.delete(name);
          w.reject(
            new NodeProbeError(
              `the probe pod on node ${w.node} did not start within ${Math.round(w.timeoutMs / 1000)} s (still ${w.lastWhy}); the node may be overloaded or slow to pull the image: raise --timeout or check the node`,
            ),
          );
        }
      }
    }
    this.running = false;
  }

  private failAll(e: Error): void {
    for (const w of this.waiters.values()) w.reject(e);
    this.waiters.clear();
  }
}

/** Creates the probe namespace when netcheck owns it, or checks that the named one exists. */
export async function ensureNamespace(client: KubeClient, name: string, own: boolean): Promise<void> {
  try {
    const ns = (await client.request('GET', `/api/v1/namespaces/${name}`)) as KubeObject;
    if (((ns['metadata'] ?? {}) as { deletionTimestamp?: string }).deletionTimestamp !== undefined) {
      throw new ClusterError(
        `namespace "${name}" is being deleted; wait for it to go (kubectl get ns ${name}) and run again`,
      );
    }
    return;
  } catch (e) {
    if (e instanceof ClusterError) throw e;
    // May not read it: creating it says whether it exists (409); a namespace the user named
    // is left to pod creation to judge.
    if (e instanceof ApiError && e.code === 403) {
      if (!own) return;
    } else if (!isNotFound(e)) throw e;
  }
  if (!own)
    throw new ClusterError(
      `namespace "${name}" (--probe-namespace) does not exist; create it with the label pod-security.kubernetes.io/enforce=privileged, or leave --probe-namespace out`,
    );
  try {
    await client.request('POST', '/api/v1/namespaces', {
      body: probeNamespaceManifest(name),
      query: { fieldValidation: 'Strict' },
    });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/**
 * A probe pod this user could create but not delete would outlive the run: ask the API server
 * first (SelfSubjectAccessReview, which every authenticated user may create: system:basic-user).
 * When the review itself cannot be made, the delete will tell.
 */
export async function ensureCanDeletePods(client: KubeClient, namespace: string): Promise<void> {
  let allowed: boolean | undefined;
  try {
    const review = (await client.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { namespace, verb: 'delete', resource: 'pods' } },
      },
    })) as { status?: { allowed?: boolean } };
    allowed = review.status?.allowed;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  if (allowed === false) {
    throw new ClusterError(
      `user "${client.access.userName}" may not delete pods in namespace "${namespace}", so the probe pods would outlive the run and none was created; ask a cluster admin to grant "delete" on "pods" (deploy/rbac.yaml)`,
    );
  }
}

function isFatal(e: unknown): boolean {
  if (e instanceof ClusterError) return true;
  if (e instanceof TransportError) return true;
  if (isPodSecurityRejection(e)) return true;
  // Denied or refused pod creation fails the same way on every node.
  return (
    e instanceof ApiError &&
    e.info.resource === 'pods' &&
    e.info.verb === 'create' &&
    [400, 401, 403, 404, 422].includes(e.code)
  );
}

/** Probes every target; returns the host entries and the per-node failures as warnings. */
export async function probeNodes(
  client: KubeClient,
  targets: readonly NodeTarget[],
  o: ProbeRunOptions,
): Promise<ProbeOutcome> {
  const hosts: Record<string, HostEntry> = {};
  const warnings: string[] = [];
  if (targets.length === 0) return { hosts, warnings };
  await ensureNamespace(client, o.namespace, o.ownNamespace);
  await ensureCanDeletePods(client, o.namespace);

  // Internal abort: the caller's signal, or a fatal failure on any node.
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const onOuter = () => ac.abort();
  o.signal.addEventListener('abort', onOuter, { once: true });
  let fatal: unknown;
  const poller = new PodPoller(client, o.namespace, o.runId, o.image, ac.signal);
  const ops = new Slots(Math.max(1, o.concurrency));
  const podSlots = new Slots(Math.max(1, o.maxPods));
  // Pods made and not yet collecting (starting, or running and waiting for an exec slot).
  const ahead = new Slots(Math.max(1, o.concurrency));
  const progress = (node: string, phase: ProbeProgress['phase'], detail?: string) => {
    const ev: ProbeProgress = { node, phase };
    if (detail !== undefined) ev.detail = detail;
    o.onProgress?.(ev);
  };
  const failNode = (node: string, message: string) => {
    hosts[node] = { sections: {}, errors: { probe: message } };
    warnings.push(message);
    progress(node, 'failed', message);
  };

  const probeOne = async (t: NodeTarget): Promise<void> => {
    if (t.unavailable !== undefined) {
      failNode(t.name, t.unavailable);
      return;
    }
    await podSlots.acquire();
    await ahead.acquire();
    let waiting = true;
    const collecting = (): void => {
      if (waiting) ahead.release();
      waiting = false;
    };
    let ref: PodRef | undefined;
    try {
      if (ac.signal.aborted) return;
      const manifest = probePodManifest({
        node: t.name,
        namespace: o.namespace,
        image: o.image,
        imagePullSecrets: o.imagePullSecrets,
        runId: o.runId,
        deadlineSeconds: o.deadlineSeconds,
        owner: o.owner,
        now: new Date(),
      });
      ref = { namespace: o.namespace, name: ((manifest['metadata'] ?? {}) as { name: string }).name };
      const podRef = ref;
      progress(t.name, 'creating');
      o.registry.add(podRef);
      // Not aborted mid-flight: a create the server already accepted must be seen through, so
      // that the pod it makes is deleted rather than raced.
      await ops.with(() =>
        o.registry.track(
          client.request('POST', `/api/v1/namespaces/${o.namespace}/pods`, {
            body: manifest,
            query: { fieldValidation: 'Strict' },
          }),
        ),
      );
      if (ac.signal.aborted) return;
      progress(t.name, 'waiting');
      await poller.wait(podRef.name, t.name, o.startTimeoutMs);
      progress(t.name, 'collecting');
      if (o.job !== undefined) {
        collecting();
        await o.job(t.name, podRef.name, ac.signal);
        progress(t.name, 'done');
        return;
      }
      const ao = { commandTimeoutMs: o.commandTimeoutMs, signal: ac.signal };
      // The slot is held until the entry is written: a writer slower than the nodes then slows
      // the execs instead of queueing entries (up to 17 MB each at 10k Services) in memory.
      await ops.with(async () => {
        collecting();
        const entry = await collectHost(
          o.store !== undefined
            ? dedupAccess(client, o.namespace, podRef.name, o.store, ao, (r) => {
                if (r.fallback !== undefined)
                  warnings.push(
                    `node ${t.name}: collection by hashes failed (${r.fallback}); its sections were collected in full instead`,
                  );
              })
            : podAccess(client, o.namespace, podRef.name, ao),
        );
        if (o.onHost === undefined) hosts[t.name] = entry;
        else {
          await o.onHost(t.name, entry);
          hosts[t.name] = { sections: {}, errors: entry.errors };
        }
      });
      progress(t.name, 'done');
    } catch (e) {
      if (ac.signal.aborted && fatal === undefined && o.signal.aborted) return;
      if (isFatal(e)) {
        if (fatal === undefined) fatal = e;
        ac.abort();
        return;
      }
      if (e instanceof TransportError && e.errCode === 'ABORTED') return;
      if (e instanceof NodeProbeError || e instanceof PodExecError) failNode(t.name, e.message);
      else if (e instanceof ApiError) failNode(t.name, `node ${t.name}: ${apiErrorMessage(e, client.access.userName)}`);
      else failNode(t.name, `node ${t.name}: ${(e as Error).message}`);
    } finally {
      if (ref !== undefined && !o.signal.aborted) {
        // Delete now, not at the end, so that at most maxPods probe pods exist at any time.
        if (await deletePod(client, ref, fatal instanceof TransportError ? 3000 : 15_000)) o.registry.remove(ref);
      }
      collecting();
      podSlots.release();
    }
  };

  try {
    await Promise.all(targets.map(probeOne));
  } finally {
    o.signal.removeEventListener('abort', onOuter);
  }
  if (fatal !== undefined) {
    if (fatal instanceof TransportError) {
      throw new ClusterError(
        `lost the API server during collection: ${transportMessage(fatal, client.server, client.access.requestTimeoutMs)}`,
      );
    }
    throw toClusterError(fatal, client.server, client.access.userName, client.access.requestTimeoutMs);
  }
  return { hosts, warnings };
}
