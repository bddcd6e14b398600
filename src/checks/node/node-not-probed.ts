// Nodes the doctor could not look at: their probe failed, or the snapshot left them out.
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import type { NodeCheck } from './types.ts';

export const nodeNotProbed: NodeCheck = {
  name: 'node-not-probed',
  describe: 'every node of the cluster has network state in the snapshot',
  run(ctx) {
    const out: Finding[] = [];
    const names = new Set([...ctx.model.cluster.nodes.map((n) => n.name), ...ctx.model.unprobed.keys()]);
    for (const n of [...names].sort()) {
      if (ctx.model.hosts.has(n)) continue;
      const why = ctx.model.unprobed.get(n) ?? 'the snapshot has no entry for this node (collected with --nodes?)';
      out.push({
        id: 'node-not-probed',
        severity: 'warning',
        node: n,
        summary: `${n} was not probed: no check ran on it`,
        evidence: [why],
        fix: FINDINGS['node-not-probed'].fix,
      });
    }
    return out;
  },
};
