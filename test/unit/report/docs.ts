// Report documents of the bundled examples, computed as the commands compute them.
import { mergeActive } from '../../../src/checks/active/merge.ts';
import { planProbes } from '../../../src/checks/active/plan.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { externalIpQuery } from '../../../src/checks/queries/externalip.ts';
import { lanQuery } from '../../../src/checks/queries/lan.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import { buildModel } from '../../../src/model/model.ts';
import type { ReportDoc } from '../../../src/report/document.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { observedRun } from '../../helpers/active-results.ts';

async function ctx(example: string) {
  return analysisContext(buildModel(await readSnapshot(`examples/${example}.json`)));
}

/** The README's main job: LAN host → web-0 through node-a, node-c's tunnel in strict rp_filter. */
export async function rpFilterLan(): Promise<ReportDoc> {
  return lanQuery(await ctx('rp-filter-tunnel'), {
    lanHost: '192.168.1.50',
    target: 'default/web-0',
    namespace: 'default',
    via: 'node-a',
    port: 8080,
    protocol: 'tcp',
  });
}

export async function healthyPodToPod(): Promise<ReportDoc> {
  return podToPod(await ctx('healthy'), {
    source: 'default/client-0',
    destination: 'default/web-1',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
  });
}

/** Two load-balanced branches, both dropped (a martian source on each backend's node). */
export async function externalIpAudit(): Promise<ReportDoc> {
  return externalIpQuery(await ctx('externalip-node-address'), {
    namespace: 'default',
    allNamespaces: true,
    from: '192.168.1.50',
  });
}

/** The walk stops at the LAN router, which netcheck did not probe: an unknown verdict, not a drop. */
export async function unknownPodToPod(): Promise<ReportDoc> {
  return podToPod(await ctx('tunnel-outer-source'), {
    source: 'default/client-0',
    destination: 'default/web-1',
    namespace: 'default',
    protocol: 'udp',
    port: 8080,
  });
}

/**
 * doctor --active on Calico VXLAN: node-a → node-c's VXLAN lost on the way (both sizes), node-b's
 * tcpdump missing (its probes unknown), the rest arrived.
 */
export async function activeDoctor(): Promise<ReportDoc> {
  const c = await ctx('healthy');
  const plan = planProbes(c, {}, 0x1234);
  const lost = new Set(plan.probes.filter((p) => p.from === 'node-a' && p.to === 'node-c').map((p) => p.id));
  const results = observedRun(plan, (id) => lost.has(id));
  results.captures = results.captures.map((x) =>
    x.node === 'node-b' ? { node: x.node, dev: x.dev, state: 'tool-missing', tool: 'tcpdump' } : x,
  );
  return mergeActive(doctor(c), plan, results);
}
