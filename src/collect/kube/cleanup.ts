// Probe pods never outlive netcheck: every pod is registered before its create is sent, and the
// registry deletes whatever is still registered on success, failure, timeout, SIGINT and SIGTERM.
// Pods left by a run that was killed outright (SIGKILL, lost laptop) are found by their labels:
// the next run deletes the ones whose owner process is gone or whose deadline has passed, and
// `kubectl netcheck cleanup` deletes them all.
import { kill } from 'node:process';
import { hostname } from 'node:os';
import type { KubeObject } from '../../snapshot/types.ts';
import { ApiError, TransportError } from './client.ts';
import type { KubeClient } from './client.ts';
import { isNotFound } from './errors.ts';
import { ANNOTATION_EXPIRES, ANNOTATION_OWNER, LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY } from './probe-pod.ts';

export interface PodRef {
  namespace: string;
  name: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Deletes one pod at once (grace period 0: the probe holds no state), retrying while the API
 * server is unreachable for up to `budgetMs`. Resolves true when the pod is gone.
 */
export async function deletePod(client: KubeClient, ref: PodRef, budgetMs: number): Promise<boolean> {
  const until = Date.now() + budgetMs;
  for (let wait = 200; ; wait = Math.min(wait * 2, 1000)) {
    try {
      await client.request('DELETE', `/api/v1/namespaces/${ref.namespace}/pods/${ref.name}`, {
        query: { gracePeriodSeconds: 0 },
        timeoutMs: Math.max(1000, Math.min(10_000, until - Date.now())),
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return true;
      const retriable = e instanceof TransportError || (e instanceof ApiError && (e.code === 429 || e.code >= 500));
      if (!retriable || Date.now() + wait > until) return false;
      await sleep(wait);
    }
  }
}

/** The pods this run created and has not yet deleted. */
export class ProbeRegistry {
  private readonly pods = new Map<string, PodRef>();
  private readonly creating = new Set<Promise<unknown>>();

  private key(ref: PodRef): string {
    return `${ref.namespace}/${ref.name}`;
  }

  /** Registers a pod before its create is sent: an interrupted create may still succeed. */
  add(ref: PodRef): void {
    this.pods.set(this.key(ref), ref);
  }

  remove(ref: PodRef): void {
    this.pods.delete(this.key(ref));
  }

  /** Tracks an in-flight create, so deleteAll waits for it rather than racing it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.creating.add(p);
    const done = () => this.creating.delete(p);
    p.then(done, done);
    return p;
  }

  get size(): number {
    return this.pods.size;
  }

  /** Deletes every registered pod in parallel; returns the ones that could not be deleted. */
  async deleteAll(client: KubeClient, budgetMs: number): Promise<PodRef[]> {
    if (this.creating.size > 0) {
      await Promise.race([Promise.allSettled([...this.creating]), sleep(Math.min(budgetMs, 10_000))]);
    }
    const refs = [...this.pods.values()];
    const results = await Promise.all(refs.map(async (ref) => ({ ref, ok: await deletePod(client, ref, budgetMs) })));
    const left: PodRef[] = [];
    for (const r of results) {
      if (r.ok) this.remove(r.ref);
      else left.push(r.ref);
    }
    return left;
  }
}

/**
 * Calls `handler` on SIGINT/SIGTERM instead of dying, so the caller can abort and clean up.
 * A second signal exits at once with the shell's code. Returns the uninstaller.
 */
export function onTerminationSignals(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  let seen = false;
  const make = (signal: 'SIGINT' | 'SIGTERM') => () => {
    if (seen) {
      process.stderr.write(
        `netcheck: ${signal} again: exiting without waiting for cleanup; run "kubectl netcheck cleanup"\n`,
      );
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    seen = true;
    handler(signal);
  };
  const onInt = make('SIGINT');
  const onTerm = make('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

export function isProbePod(o: KubeObject): boolean {
  const labels = ((o['metadata'] ?? {}) as { labels?: Record<string, string> }).labels ?? {};
  return labels[LABEL_MANAGED_BY] === MANAGED_BY && labels[LABEL_COMPONENT] === 'probe';
}

function processAlive(pid: number): boolean {
  try {
    kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A probe pod nobody will delete: its deadline has passed, it has finished, or it belongs to a
 * netcheck process on this machine that no longer runs. Pods of a live run elsewhere are kept.
 */
export function isStaleProbePod(
  o: KubeObject,
  now: Date,
  host = hostname(),
  alive: (pid: number) => boolean = processAlive,
): boolean {
  if (!isProbePod(o)) return false;
  const meta = (o['metadata'] ?? {}) as { annotations?: Record<string, string> };
  const phase = ((o['status'] ?? {}) as { phase?: string }).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const expires = Date.parse(meta.annotations?.[ANNOTATION_EXPIRES] ?? '');
  if (!Number.isNaN(expires) && expires <= now.getTime()) return true;
  const owner = meta.annotations?.[ANNOTATION_OWNER] ?? '';
  const slash = owner.lastIndexOf('/');
  if (slash > 0 && owner.slice(0, slash) === host) {
    const pid = Number(owner.slice(slash + 1));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) return true;
  }
  return false;
}

export function podRef(o: KubeObject): PodRef {
  const m = (o['metadata'] ?? {}) as { namespace?: string; name?: string };
  return { namespace: m.namespace ?? '', name: m.name ?? '' };
}
