// Nodes the doctor could not look at: their probe failed, or the snapshot left them out.
import type { WideScopeCheck } from '../check.ts';
import { fixedNeeds } from '../check.ts';
import { notProbedFindings } from '../coverage.ts';

export const nodeNotProbedCheck: WideScopeCheck = {
  name: 'node-not-probed',
  describe: 'every node of the cluster has network state in the snapshot',
  scope: 'cluster',
  emits: ['node-not-probed'],
  onPath: false,
  // Without the Node objects it still names the entries whose probe failed.
  needs: fixedNeeds([]),
  run: (ctx) => notProbedFindings(ctx.model),
};
