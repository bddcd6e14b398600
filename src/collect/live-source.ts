// The live source: reads the cluster's objects and probes the needed nodes into a Snapshot, and
// leaves nothing behind. Also `cleanup` (remove every probe pod) and the dry-run manifests.
import { setMaxListeners } from 'node:events';
import { stringify } from 'yaml';
import { ClusterError, InputError, InterruptedError } from '../lib/errors.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../snapshot/types.ts';
import type { HostEntry, KubeObject, Snapshot, SnapshotObjects } from '../snapshot/types.ts';
import { KubeClient } from './kube/client.ts';
import { ContentStore } from './kube/dedup-access.ts';
import { ProbeRegistry, deletePod, isProbePod, isStaleProbePod, onTerminationSignals, podRef } from './kube/cleanup.ts';
import type { PodRef } from './kube/cleanup.ts';
import { isNotFound, toClusterError } from './kube/errors.ts';
import { loadClusterAccess } from './kube/kubeconfig.ts';
import type { ClusterAccess, ClusterAccessOptions } from './kube/kubeconfig.ts';
import { listObjects } from './kube/objects.ts';
import {
  DEFAULT_DEADLINE_SECONDS,
  DEFAULT_PROBE_IMAGE,
  DEFAULT_PROBE_NAMESPACE,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  PROBE_SELECTOR,
  newRunId,
  ownerId,
  probeNamespaceManifest,
  probePodManifest,
  shellQuote,
} from './kube/probe-pod.ts';
import { probeBatch } from './kube/pod-access.ts';
import { hashScript } from './kube/dedup-script.ts';
import { isPieced } from '../snapshot/v2/pieces.ts';
import { probeNodes } from './kube/probe-runner.ts';
import type { NodeTarget, ProbeProgress, ProbeRunOptions } from './kube/probe-runner.ts';
import { PROBE_COMMANDS, PROBE_DIRECTORIES, PROBE_FILES } from '../snapshot/sections.ts';

export interface LiveOptions extends ClusterAccessOptions {
  /** Nodes to probe; all nodes when absent. An empty list probes none (objects only). */
  nodes?: readonly string[];
  /**
   * Picks the nodes to probe once the objects are read (a flow command needs only the nodes on
   * its path, known from the Pods it names); takes precedence over `nodes`. May throw InputError
   * (an unknown pod) before any probe pod is created.
   */
  chooseNodes?: (objects: SnapshotObjects) => readonly string[] | undefined;
  image?: string;
  imagePullSecrets?: readonly string[];
  /** A namespace the user provides (not created, not labelled); default: netcheck's own. */
  probeNamespace?: string;
  /** Creates and exec sessions in flight (--concurrency). */
  concurrency?: number;
  /** Probe pods alive at once. */
  maxPods?: number;
  /** Seconds to wait for a probe pod to start (--timeout). */
  timeoutSeconds?: number;
  commandTimeoutSeconds?: number;
  deadlineSeconds?: number;
  /** Install SIGINT/SIGTERM handlers for the duration (default true). */
  handleSignals?: boolean;
  onProgress?: (event: ProbeProgress) => void;
  /** Move each node's whole output instead of only what no other node sent (for comparison). */
  fullTransfer?: boolean;
  /** Takes the snapshot's head (objects read, before any node is probed), for a streamed writer. */
  onObjects?: (head: Omit<Snapshot, 'hosts' | 'apiVersion'>) => Promise<void>;
  /** Takes each probed node's entry as it arrives; the snapshot then holds only their errors. */
  onHost?: (node: string, entry: HostEntry) => Promise<void>;
}

/**
 * The objects were read but no node could be probed: a failure to collect (exit 3) that still
 * carries the snapshot, whose objects are worth writing (every host records why it is missing).
 */
export class PartialCollection extends ClusterError {
  constructor(
    message: string,
    readonly snapshot: Snapshot,
  ) {
    super(message);
  }
}

export const DEFAULT_CONCURRENCY = 20;
export const DEFAULT_MAX_PODS = 100;
export const DEFAULT_START_TIMEOUT_SECONDS = 120;
export const DEFAULT_COMMAND_TIMEOUT_SECONDS = 60;

function nodeName(o: KubeObject): string {
  return ((o['metadata'] ?? {}) as { name?: string }).name ?? '';
}

// The node lifecycle controller marks a node whose kubelet never posted status Ready=Unknown with
// this reason (k8s.io/kubernetes pkg/controller/nodelifecycle, "Kubelet never posted node
// status."); before its grace period runs out the node has no Ready condition at all.
const NEVER_UPDATED = 'NodeStatusNeverUpdated';

/** Why a node cannot run a probe pod, from its Ready condition; undefined when it can. */
export function nodeUnavailable(node: KubeObject): string | undefined {
  const conds =
    ((node['status'] ?? {}) as { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] })
      .conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  if (ready === undefined || ready.reason === NEVER_UPDATED) {
    return `no kubelet has ever reported for node ${nodeName(node)} (${ready === undefined ? 'it has no Ready condition' : `${NEVER_UPDATED}: ${ready.message ?? ''}`.trim()}), so no probe pod can run there and its state is left out; start or register its kubelet, delete the stale Node object, or leave it out with --nodes`;
  }
  if (ready.status === 'True') return undefined;
  const why = [ready.reason, ready.message].filter((x) => x).join(': ');
  return `node ${nodeName(node)} is NotReady${why ? ` (${why})` : ''}, so no probe pod can run there and its state is left out; fix the node, or leave it out with --nodes`;
}

/** The nodes to probe, checked against the cluster's node list when it could be read. */
export function chooseTargets(
  nodes: readonly KubeObject[],
  wanted: readonly string[] | undefined,
  nodesListed: boolean,
): NodeTarget[] {
  const byName = new Map(nodes.map((n) => [nodeName(n), n]));
  if (wanted === undefined) return [...byName.keys()].sort().map((name) => target(name, byName.get(name)));
  if (nodesListed) {
    const missing = wanted.filter((w) => !byName.has(w));
    if (missing.length > 0) {
      throw new InputError(
        `no such node: ${missing.join(', ')} (nodes: ${[...byName.keys()].sort().join(', ') || 'none'})`,
      );
    }
  }
  return [...new Set(wanted)].map((name) => target(name, byName.get(name)));
}

function target(name: string, node: KubeObject | undefined): NodeTarget {
  const t: NodeTarget = { name };
  const why = node === undefined ? undefined : nodeUnavailable(node);
  if (why !== undefined) t.unavailable = why;
  return t;
}

function namespaceChoice(opts: LiveOptions): { namespace: string; own: boolean } {
  return opts.probeNamespace !== undefined
    ? { namespace: opts.probeNamespace, own: false }
    : { namespace: DEFAULT_PROBE_NAMESPACE, own: true };
}

/** The probe runner's options for a run of these settings (one run id, the caller's signal). */
export function probeRunOptions(opts: LiveOptions, registry: ProbeRegistry, signal: AbortSignal): ProbeRunOptions {
  const { namespace, own } = namespaceChoice(opts);
  return {
    namespace,
    ownNamespace: own,
    image: opts.image ?? DEFAULT_PROBE_IMAGE,
    imagePullSecrets: opts.imagePullSecrets ?? [],
    runId: newRunId(),
    owner: ownerId(),
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    maxPods: Math.max(opts.maxPods ?? DEFAULT_MAX_PODS, opts.concurrency ?? 0),
    startTimeoutMs: (opts.timeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS) * 1000,
    commandTimeoutMs: (opts.commandTimeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000,
    deadlineSeconds: opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
    registry,
    signal,
    ...(opts.fullTransfer === true ? {} : { store: new ContentStore() }),
    ...(opts.onHost !== undefined ? { onHost: opts.onHost } : {}),
  };
}

/** Deletes probe pods left by runs that were killed (see isStaleProbePod). */
async function removeStale(client: KubeClient, pods: readonly KubeObject[]): Promise<PodRef[]> {
  const stale = pods.filter((p) => isStaleProbePod(p, new Date())).map(podRef);
  await Promise.all(stale.map((ref) => deletePod(client, ref, 5000)));
  return stale;
}

/** A run's connection to the cluster: the client, the pods it made, and Ctrl-C / SIGTERM, which abort it. */
export interface ProbeSession {
  access: ClusterAccess;
  client: KubeClient;
  registry: ProbeRegistry;
  ac: AbortController;
  /** The signal that interrupted the run, once one has. */
  interrupted?: 'SIGINT' | 'SIGTERM';
  /** Removes the signal handlers. */
  uninstall: () => void;
}

export function openSession(opts: LiveOptions): ProbeSession {
  const access = loadClusterAccess(opts);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const s: ProbeSession = {
    access,
    client: new KubeClient(access),
    registry: new ProbeRegistry(),
    ac,
    uninstall: () => undefined,
  };
  if (opts.handleSignals !== false)
    s.uninstall = onTerminationSignals((sig) => {
      s.interrupted = sig;
      ac.abort();
    });
  return s;
}

/** Reads the cluster and probes the nodes into a snapshot. Throws ClusterError, InputError or InterruptedError. */
export async function collectLive(opts: LiveOptions = {}): Promise<Snapshot> {
  const session = openSession(opts);
  const { access, client, registry, ac, uninstall } = session;
  let lostServer = false;
  let failure: unknown;
  let snapshot: Snapshot | undefined;
  let incomplete: PartialCollection | undefined;
  let left: PodRef[] = [];
  try {
    const listed = await listObjects(client, ac.signal);
    const warnings = [...listed.warnings];
    const probePods = listed.objects.pods.filter(isProbePod);
    listed.objects.pods = listed.objects.pods.filter((p) => !isProbePod(p));
    const stale = await removeStale(client, probePods);
    if (stale.length > 0)
      warnings.push(`removed ${stale.length} probe pod(s) left by an earlier netcheck run that did not finish`);

    const wanted = opts.chooseNodes !== undefined ? opts.chooseNodes(listed.objects) : opts.nodes;
    const capturedAt = new Date().toISOString();
    await opts.onObjects?.({
      kind: SNAPSHOT_KIND,
      capturedAt,
      context: access.contextName,
      objects: listed.objects,
      ...(warnings.length > 0 ? { warnings: [...warnings] } : {}),
    });
    const targets = chooseTargets(listed.objects.nodes, wanted, true);
    const probeOpts = probeRunOptions(opts, registry, ac.signal);
    if (opts.onProgress !== undefined) probeOpts.onProgress = opts.onProgress;
    const outcome = await probeNodes(client, targets, probeOpts);
    if (session.interrupted !== undefined) throw new Error('interrupted');
    warnings.push(...outcome.warnings);
    const probed = targets.filter((t) => outcome.hosts[t.name]?.errors['probe'] === undefined).length;
    const snap: Snapshot = {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: SNAPSHOT_KIND,
      capturedAt: opts.onObjects === undefined ? new Date().toISOString() : capturedAt,
      context: access.contextName,
      objects: listed.objects,
      hosts: Object.fromEntries(Object.entries(outcome.hosts).sort(([a], [b]) => a.localeCompare(b))),
    };
    if (warnings.length > 0) snap.warnings = warnings;
    snapshot = snap;
    if (targets.length > 0 && probed === 0) {
      const first = outcome.warnings[0] ?? 'no node could be probed';
      incomplete = new PartialCollection(
        targets.length === 1 ? first : `no node could be probed (${targets.length} tried); first failure: ${first}`,
        snap,
      );
    } else if (targets.length === 0 && wanted === undefined) {
      incomplete = new PartialCollection('the cluster lists no Node, so no node was probed', snap);
    }
  } catch (e) {
    if (session.interrupted === undefined && !(e instanceof InputError)) {
      const err = toClusterError(e, access.server, access.userName, access.requestTimeoutMs);
      lostServer = /lost the API server|cannot reach|did not answer|closed the connection/.test(err.message);
      failure = err;
    } else failure = e;
  } finally {
    left = await registry.deleteAll(client, lostServer ? 3000 : 15_000);
    uninstall();
    client.close();
  }
  const leftText =
    left.length === 0
      ? ''
      : `; ${left.length} probe pod(s) could not be deleted (${left.map((r) => `${r.namespace}/${r.name}`).join(', ')}): they stop after activeDeadlineSeconds, or run "kubectl netcheck cleanup" once the API server answers`;
  const interrupted = session.interrupted;
  if (interrupted !== undefined) {
    throw new InterruptedError(
      interrupted,
      `interrupted by ${interrupted}${left.length === 0 ? '; every probe pod was deleted' : leftText}`,
    );
  }
  if (failure !== undefined) {
    if (failure instanceof ClusterError && leftText !== '') throw new ClusterError(failure.message + leftText);
    throw failure;
  }
  if (snapshot === undefined) throw new ClusterError('collection ended without a snapshot');
  if (leftText !== '') (snapshot.warnings ??= []).push(leftText.slice(2));
  if (incomplete !== undefined) throw incomplete;
  return snapshot;
}

export interface CleanupReport {
  deleted: string[];
  failed: string[];
  namespaceDeleted?: string;
}

/** `kubectl netcheck cleanup`: deletes every netcheck probe pod in every namespace, and netcheck's own namespace. */
export async function cleanupProbes(
  opts: ClusterAccessOptions & { probeNamespace?: string } = {},
): Promise<CleanupReport> {
  const access = loadClusterAccess(opts);
  const client = new KubeClient(access);
  try {
    const pods = await client.list('/api/v1/pods', { labelSelector: PROBE_SELECTOR });
    const refs = pods.map(podRef);
    const results = await Promise.all(refs.map(async (r) => ({ r, ok: await deletePod(client, r, 10_000) })));
    const report: CleanupReport = {
      deleted: results.filter((x) => x.ok).map((x) => `${x.r.namespace}/${x.r.name}`),
      failed: results.filter((x) => !x.ok).map((x) => `${x.r.namespace}/${x.r.name}`),
    };
    if (opts.probeNamespace === undefined && report.failed.length === 0) {
      // Only the namespace netcheck created, recognised by its label, never one the user named.
      try {
        const ns = (await client.request('GET', `/api/v1/namespaces/${DEFAULT_PROBE_NAMESPACE}`)) as KubeObject;
        const labels = ((ns['metadata'] ?? {}) as { labels?: Record<string, string> }).labels ?? {};
        if (labels[LABEL_MANAGED_BY] === MANAGED_BY) {
          await client.request('DELETE', `/api/v1/namespaces/${DEFAULT_PROBE_NAMESPACE}`);
          report.namespaceDeleted = DEFAULT_PROBE_NAMESPACE;
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return report;
  } catch (e) {
    throw toClusterError(e, access.server, access.userName, access.requestTimeoutMs);
  } finally {
    client.close();
  }
}

/** What `collect --dry-run` prints: the namespace, one pod per node, and the commands exec'd into them. */
export function dryRunManifests(nodes: readonly string[], opts: LiveOptions = {}): string {
  const { namespace, own } = namespaceChoice(opts);
  const runId = 'dryrun';
  const docs: KubeObject[] = [];
  if (own) docs.push(probeNamespaceManifest(namespace));
  for (const node of nodes) {
    docs.push(
      probePodManifest({
        node,
        namespace,
        image: opts.image ?? DEFAULT_PROBE_IMAGE,
        imagePullSecrets: opts.imagePullSecrets ?? [],
        runId,
        deadlineSeconds: opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
        owner: ownerId(),
        now: new Date(),
      }),
    );
  }
  const batch = probeBatch((opts.commandTimeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_SECONDS) * 1000);
  const script = hashScript(batch, 'POD', batch.commands.map((c) => c.section).filter(isPieced));
  const header = [
    '# netcheck collect --dry-run: nothing was created.',
    '# Each probe pod only sleeps. netcheck execs a read-only script into it (container "probe"),',
    "# which runs these commands, through the node's own binary when the node has it",
    "# (nsenter -t 1 -m -u -n), else the image's:",
    ...PROBE_COMMANDS.map((c) => `#   ${c.argv.map(shellQuote).join(' ')}    # ${c.why}`),
    '# and reads these files of the node (sent in base64):',
    ...PROBE_DIRECTORIES.map((d) => `#   ${d.dir}/*{${d.suffixes.join(',')}}    # ${d.why}`),
    ...PROBE_FILES.map((f) => `#   ${f.path}    # ${f.why}`),
    '# Every pod is deleted when collection ends (success, error, timeout, Ctrl-C, SIGTERM).',
    '# The script keeps each output in the pod (under $TMPDIR or /tmp) and sends its sha256 and',
    '# those of its pieces; a second exec sends only what no other node sent, and deletes them; a',
    '# section that does not come back as hashed is run again and sent whole by one more exec.',
    "# The first command exec'd into each pod is: sh -c SCRIPT, where SCRIPT is (POD: the pod's name)",
    ...script.split('\n').map((l) => `#   | ${l}`),
  ].join('\n');
  return `${header}\n${docs.map((d) => `---\n${stringify(d)}`).join('')}`;
}

/** Node names for the dry run: --nodes, or every node of the cluster. */
export async function dryRunNodes(opts: LiveOptions): Promise<string[]> {
  if (opts.nodes !== undefined) return [...opts.nodes];
  const access: ClusterAccess = loadClusterAccess(opts);
  const client = new KubeClient(access);
  try {
    return (await client.list('/api/v1/nodes')).map(nodeName).sort();
  } catch (e) {
    throw toClusterError(e, access.server, access.userName, access.requestTimeoutMs);
  } finally {
    client.close();
  }
}
