// The externalIP audit of every Service, as part of doctor.
import { auditExternalIps, externalIpUses } from '../externalip/audit.ts';
import type { WideScopeCheck } from '../check.ts';

export const externalIpsCheck: WideScopeCheck = {
  name: 'externalips',
  describe: 'Service externalIPs: node, API server and etcd addresses, cluster networks, unrouted',
  scope: 'cluster',
  emits: [
    'externalip-node-address',
    'externalip-control-plane',
    'externalip-in-cluster-network',
    'externalip-unrouted',
  ],
  onPath: false,
  needs: (ctx) => ({
    sections: ['ip-addr'],
    objects: [
      'services',
      'nodes',
      'pods',
      'endpointSlices',
      ...(ctx.flavour.cni.value === 'calico' || ctx.flavour.cni.value === 'unknown' ? (['ipPools'] as const) : []),
    ],
  }),
  run: (ctx) => auditExternalIps(ctx, externalIpUses(ctx.model.cluster.services)),
};
