// The double's kubelet: a pod bound to a ready node goes Pending → Running after the start delay
// (or ErrImagePull → ImagePullBackOff for an image the fake registry lacks), and Failed with
// DeadlineExceeded after activeDeadlineSeconds, as the real kubelet reports it.
import type { DoubleOptions, NodeSpec } from './server.ts';
import type { Obj } from './status.ts';

export interface PodSpecSubset {
  nodeName?: string;
  containers: { name: string; image: string }[];
  activeDeadlineSeconds?: number;
}

/** The status a pod has when it is created: scheduled, its container being created. */
export function pendingStatus(spec: PodSpecSubset): Obj {
  return {
    phase: 'Pending',
    qosClass: 'Burstable',
    conditions: [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: [{ ...containerBase(spec), state: { waiting: { reason: 'ContainerCreating' } } }],
  };
}

function containerBase(spec: PodSpecSubset) {
  const c = spec.containers[0]!;
  return { name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0, started: false };
}

/**
 * Runs the pod's lifecycle on `node`: `update` applies a change to the stored pod (if it still
 * exists) and `later` schedules one (timers the server clears on close).
 */
export function runPod(
  spec: PodSpecSubset,
  node: NodeSpec,
  opts: Pick<DoubleOptions, 'startDelayMs' | 'availableImages'>,
  update: (f: (p: Obj) => void) => void,
  later: (ms: number, f: () => void) => void,
): void {
  const c = spec.containers[0]!;
  const base = containerBase(spec);
  const delay = node.startDelayMs ?? opts.startDelayMs ?? 0;
  const available = opts.availableImages ?? ['nicolaka/netshoot:v0.13'];
  later(delay, () => {
    if (!available.includes(c.image)) {
      update((p) => {
        const st = p['status'] as Obj;
        st['containerStatuses'] = [
          {
            ...base,
            state: {
              waiting: {
                reason: 'ErrImagePull',
                message: `failed to pull and unpack image "docker.io/${c.image}": failed to resolve reference "docker.io/${c.image}": not found`,
              },
            },
          },
        ];
      });
      later(100, () =>
        update((p) => {
          (p['status'] as Obj)['containerStatuses'] = [
            {
              ...base,
              state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
            },
          ];
        }),
      );
      return;
    }
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    update((p) => {
      const ip = node.internalIP ?? '192.0.2.1';
      p['status'] = {
        phase: 'Running',
        qosClass: 'Burstable',
        hostIP: ip,
        podIP: ip,
        startTime: now,
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
          type,
          status: 'True',
        })),
        containerStatuses: [
          {
            ...base,
            imageID: `docker.io/${c.image}@sha256:0`,
            ready: true,
            started: true,
            state: { running: { startedAt: now } },
          },
        ],
      };
    });
    if (spec.activeDeadlineSeconds !== undefined) {
      later(spec.activeDeadlineSeconds * 1000, () =>
        update((p) => {
          const st = p['status'] as Obj;
          st['phase'] = 'Failed';
          st['reason'] = 'DeadlineExceeded';
          st['message'] = 'Pod was active on the node longer than the specified deadline';
        }),
      );
    }
  });
}
