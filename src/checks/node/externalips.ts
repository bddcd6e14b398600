// The externalIP audit of every Service, as part of doctor.
import { auditExternalIps, externalIpUses } from '../externalip/audit.ts';
import type { NodeCheck } from './types.ts';

export const externalIpsCheck: NodeCheck = {
  name: 'externalips',
  describe: 'Service externalIPs: node, API server and etcd addresses, cluster networks, unrouted',
  run: (ctx) => auditExternalIps(ctx, externalIpUses(ctx.model.cluster.services)),
};
