// Every CNI netcheck knows. Adding one is a new file in this folder implementing CniModule and one
// line here (docs/design-notes.md, "Adding a CNI"). A module that combines others (Canal) comes
// before them: when it is detected it stands for them.
import { calico } from './calico.ts';
import { canal } from './canal.ts';
import { cilium } from './cilium.ts';
import { flannel } from './flannel.ts';
import { kubeRouter } from './kube-router.ts';
import type { ClusterInfo } from '../cluster.ts';
import type { CniModule, EncryptedUnderlay } from './types.ts';

export const CNI_MODULES: readonly CniModule[] = [cilium, canal, calico, flannel, kubeRouter];

/** Tunnel device name → the module that creates it, over every known CNI. */
export function tunnelOwner(dev: string): CniModule | undefined {
  return CNI_MODULES.find((m) => m.tunnels[dev] !== undefined);
}

/** The encrypted encapsulations the cluster's CNI configuration turns on, over every known CNI (Canal: felix's and flannel's). */
export function encryptedUnderlay(cluster: ClusterInfo): EncryptedUnderlay[] {
  return CNI_MODULES.flatMap((m) => m.encryptedUnderlay?.(cluster) ?? []);
}

/** Why the nodes' datapath is not what the engine walks, over every known CNI; empty when it is. */
export function unmodelledDatapath(cluster: ClusterInfo): string[] {
  return CNI_MODULES.flatMap((m) => m.unmodelledDatapath?.(cluster) ?? []);
}
