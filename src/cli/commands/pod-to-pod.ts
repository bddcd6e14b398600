// `kubectl netcheck pod-to-pod SRC DST`: can this pod reach that one, both ways, and if not why.
import { clusterInfo } from '../../model/cluster.ts';
import { analysisContext } from '../../checks/context.ts';
import { podToPod } from '../../checks/queries/pod-to-pod.ts';
import { flowEnd } from '../../checks/active/flow-plan.ts';
import { activeFlowStep } from '../active-step.ts';
import { activeMode, withActiveOptions } from '../options/active.ts';
import { resolvePod } from '../../checks/resolve.ts';
import { loadModel } from '../analysis-source.ts';
import type { NetcheckCommand } from '../command.ts';
import { emitReport } from '../emit.ts';
import { withNamespaceOption } from '../options/cluster.ts';
import { analysisFlags } from '../options/analysis.ts';
import { flowFlags, withFlowOptions } from '../options/flow.ts';
import { withReportOptions } from '../options/report.ts';
import { withSourceOptions } from '../options/source.ts';
import { text } from '../options/values.ts';

export const podToPodCommand: NetcheckCommand = {
  command: 'pod-to-pod <src> <dst>',
  describe: 'Trace a flow from one pod to another, both directions, and explain what stops it',
  builder: (y) =>
    withSourceOptions(
      withActiveOptions(
        withReportOptions(
          withFlowOptions(
            withNamespaceOption(
              y
                .positional('src', { type: 'string', describe: 'Source pod: [namespace/]name or its IP' })
                .positional('dst', { type: 'string', describe: 'Destination pod: [namespace/]name or its IP' }),
            ),
          ),
          true,
        ),
      ),
    )
      .example(
        'kubectl netcheck pod-to-pod default/web-0 default/db-0 --port 5432',
        'Can web-0 open a connection to db-0?',
      )
      .example(
        'kubectl netcheck pod-to-pod 10.244.1.5 10.244.2.7 --snapshot snap.json',
        'By pod IP, on a saved snapshot',
      ),
  plan: async (argv) => {
    const src = text('SRC', argv['src'])!;
    const dst = text('DST', argv['dst'])!;
    const flow = flowFlags(argv);
    const { namespace: ns, style, source } = await analysisFlags(argv);
    const active = activeMode(argv, source);
    return async () => {
      const model = await loadModel(source, {
        nodes: (objects) => {
          const c = clusterInfo(objects);
          return [resolvePod(c, src, ns).node, resolvePod(c, dst, ns).node].filter((n): n is string => n !== undefined);
        },
      });
      const q = { source: src, destination: dst, namespace: ns, ...flow };
      const ctx = analysisContext(model);
      const doc = podToPod(ctx, q);
      if (active === 'off') return emitReport(doc, style);
      const [from, to] = [resolvePod(model.cluster, src, ns), resolvePod(model.cluster, dst, ns)].map(flowEnd);
      const merged = await activeFlowStep(ctx, doc, active, source, flow, from!, to!);
      if (merged !== undefined) emitReport(merged, style);
    };
  },
};
