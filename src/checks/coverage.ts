// What the analysis could not look at, said as findings: nodes without any state
// (node-not-probed), state or objects a check needed that were not usable (data-missing), and
// host entries that are no node of the cluster (host-not-in-cluster). Never a conclusion about
// the network: only where the answer is incomplete, and how to complete it.
import { describeStatus, howToCollect, statusOf, usable } from '../model/provenance.ts';
import { howToCollectObjects } from '../model/objects-provenance.ts';
import type { Model } from '../model/model.ts';
import type { AnalysisContext } from './context.ts';
import { finding } from './finding.ts';
import type { Finding } from './finding.ts';
import type { DataGap } from './run-checks.ts';

/** The findings that say what the analysis could not see, rather than what is wrong. */
export const COVERAGE_IDS: ReadonlySet<string> = new Set([
  'node-not-probed',
  'data-missing',
  'host-not-in-cluster',
  'active-not-observed',
]);

/** An audit's verdict: problems when something is wrong, unknown when only data is missing, else healthy. */
export function auditVerdict(findings: readonly Finding[]): 'healthy' | 'problems' | 'unknown' {
  const problems = findings.filter((f) => f.severity !== 'info');
  if (problems.some((f) => !COVERAGE_IDS.has(f.id))) return 'problems';
  return problems.length > 0 ? 'unknown' : 'healthy';
}

/** Nodes among `nodes` (default: every node the snapshot names) that have no state at all. */
export function notProbedFindings(model: Model, nodes?: Iterable<string>): Finding[] {
  const names = nodes ?? [...model.cluster.nodes.map((n) => n.name), ...model.unprobed.keys()];
  const out: Finding[] = [];
  for (const n of [...new Set(names)].sort()) {
    if (model.hosts.has(n)) continue;
    const why = model.unprobed.get(n) ?? 'the snapshot has no entry for this node (collected with --nodes?)';
    out.push(
      finding('node-not-probed', {
        node: n,
        summary: `${n} was not probed: nothing on it could be checked`,
        evidence: [why],
      }),
    );
  }
  return out;
}

/** One data-missing finding per node (its sections) and per object kind, naming the checks left out. */
export function dataMissingFindings(gaps: readonly DataGap[]): Finding[] {
  const byKey = new Map<string, DataGap[]>();
  for (const g of gaps) {
    const k = g.kind === 'section' ? `node\u0000${g.node}` : `objects\u0000${g.objects}`;
    // Not a copy per gap: a node missing a section a pair check asks of every peer gave N gaps.
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [g]);
    else list.push(g);
  }
  return [...byKey.values()].map((gs) => {
    const checks = [...new Set(gs.map((g) => g.check))].join(', ');
    const first = gs[0]!;
    if (first.kind === 'objects') {
      return finding('data-missing', {
        summary: `${describeStatus(`objects.${first.objects}`, first.status)}, so ${checks} could not run`,
        evidence: [describeStatus(`objects.${first.objects}`, first.status)],
        fix: `Get ${howToCollectObjects(first.objects)}.`,
      });
    }
    const sections = new Map<string, DataGap & { kind: 'section' }>();
    for (const g of gs) if (g.kind === 'section') sections.set(g.section, g);
    const node = first.node;
    return finding('data-missing', {
      node,
      summary: `${node}: ${[...sections.keys()].join(', ')} not usable, so ${checks} could not judge ${node}`,
      evidence: [...sections.values()].map((g) => `${node}: ${describeStatus(g.section, g.status)}`),
      fix: `Collect ${[...sections.keys()].map(howToCollect).join('; ')} (${node}), then run the command again.`,
    });
  });
}

/** Host entries the context left out because no Node object has their name. */
export function outsiderFindings(ctx: AnalysisContext): Finding[] {
  return ctx.outsiders.map((name) =>
    finding('host-not-in-cluster', {
      node: name,
      summary: `the snapshot has state for a host ${name}, but the cluster has no node ${name}: its state is left out`,
      evidence: [`Node objects: ${ctx.model.cluster.nodes.map((n) => n.name).join(', ')}`],
    }),
  );
}

/** The object kinds a flow's analysis reads: who is where, Services and their backends, what the CNI is. */
export function flowObjectGaps(ctx: AnalysisContext): DataGap[] {
  const kinds = [
    'nodes',
    'pods',
    'services',
    'endpointSlices',
    'configMaps',
    ...(ctx.flavour.cni.value === 'calico' || ctx.flavour.cni.value === 'unknown'
      ? (['ipPools', 'blockAffinities'] as const)
      : []),
  ] as const;
  return kinds.flatMap((objects) => {
    const status = ctx.model.objects.get(objects) ?? { state: 'absent' as const };
    return usable(status) ? [] : [{ kind: 'objects' as const, objects, status, check: 'the flow analysis' }];
  });
}

/** What the engine reads on every node a packet crosses; IPVS only where kube-proxy runs it. */
export function traceSections(ctx: AnalysisContext): string[] {
  return [
    'ip-addr',
    'ip-route',
    'ip-rule',
    'ip-neigh',
    'bridge-fdb',
    'sysctl',
    'iptables-nft-save',
    'iptables-legacy-save',
    'ipset',
    'nft',
    ...(ctx.flavour.proxy.value === 'ipvs' ? ['ipvsadm'] : []),
  ];
}

/** The sections the engine reads that are not usable on the probed nodes among `nodes`. */
export function traceGaps(ctx: AnalysisContext, nodes: Iterable<string>): DataGap[] {
  const out: DataGap[] = [];
  const sections = traceSections(ctx);
  for (const node of nodes) {
    const h = ctx.model.hosts.get(node);
    if (h === undefined) continue;
    for (const section of sections) {
      const status = statusOf(h.provenance, section);
      if (!usable(status)) out.push({ kind: 'section', node, section, status, check: 'the path trace' });
    }
  }
  return out;
}
