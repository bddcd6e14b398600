// `kubectl netcheck lan LAN_IP TARGET`: a host outside the cluster and a pod or Service, both ways.
import { clusterInfo } from '../../model/cluster.ts';
import { analysisContext } from '../../checks/context.ts';
import { lanQuery } from '../../checks/queries/lan.ts';
import { requireIpv4, resolveLanTarget } from '../../checks/resolve.ts';
import { flowEnd } from '../../checks/active/flow-plan.ts';
import { loadModel } from '../analysis-source.ts';
import { activeFlowStep } from '../active-step.ts';
import { activeMode, withActiveOptions } from '../options/active.ts';
import type { NetcheckCommand } from '../command.ts';
import { emitReport } from '../emit.ts';
import { withNamespaceOption } from '../options/cluster.ts';
import { analysisFlags } from '../options/analysis.ts';
import { flowFlags, withFlowOptions } from '../options/flow.ts';
import { withReportOptions } from '../options/report.ts';
import { withSourceOptions } from '../options/source.ts';
import { nodeNameFlag, text } from '../options/values.ts';

export const lanCommand: NetcheckCommand = {
  command: 'lan <lan> <target>',
  describe:
    'A LAN host and a pod or Service, both ways: where it enters, every rp_filter on the way, the way back, and the source address the LAN host sees',
  builder: (y) =>
    withSourceOptions(
      withActiveOptions(
        withReportOptions(
          withFlowOptions(
            withNamespaceOption(
              y
                .positional('lan', { type: 'string', describe: 'IPv4 address of the host outside the cluster' })
                .positional('target', {
                  type: 'string',
                  describe:
                    'A pod ([namespace/]name or IP) or a Service (svc/[namespace/]name, or its externalIP / load-balancer IP)',
                })
                .option('via', {
                  type: 'string',
                  requiresArg: true,
                  describe: 'The node the LAN router sends the target network to (its static route or BGP next hop)',
                }),
            ),
          ),
          true,
        ),
      ),
    )
      .example(
        'kubectl netcheck lan 192.168.1.50 default/web-0 --via node-c --port 80',
        'The LAN router sends the pod network to node-c: does 192.168.1.50 reach web-0, and back?',
      )
      .example(
        'kubectl netcheck lan 192.168.1.20 default/api-0 --port 3306',
        'Which source address does the database at 192.168.1.20 see for api-0?',
      )
      .example('kubectl netcheck lan 192.168.1.50 svc/shop/frontend --port 443', 'A LAN host to a Service externalIP'),
  plan: async (argv) => {
    const lan = requireIpv4('LAN host', text('LAN_IP', argv['lan'])!);
    const target = text('TARGET', argv['target'])!;
    const via = nodeNameFlag('--via', argv['via']);
    const flow = flowFlags(argv);
    const { namespace: ns, style, source } = await analysisFlags(argv);
    const active = activeMode(argv, source);
    return async () => {
      const model = await loadModel(source, {
        nodes: (objects) => {
          const t = resolveLanTarget(clusterInfo(objects), target, ns);
          // A Service: its backends and the node owning its address: probe them all.
          if (t.kind === 'service') return undefined;
          return [t.pod.node, via].filter((n): n is string => n !== undefined);
        },
      });
      const ctx = analysisContext(model);
      const doc = lanQuery(ctx, {
        lanHost: lan,
        target,
        namespace: ns,
        ...flow,
        ...(via !== undefined ? { via } : {}),
      });
      if (active === 'off') return emitReport(doc, style);
      // The LAN host sends the flow: netcheck runs nothing there. The pairs of nodes its traces
      // cross are probed; the LAN host itself is a target only as the flow's own end.
      const t = resolveLanTarget(model.cluster, target, ns);
      const merged = await activeFlowStep(
        ctx,
        doc,
        active,
        source,
        flow,
        {
          ip: lan,
          cannotSend: `the flow is not sent: netcheck cannot send from the LAN host ${lan} (no probe pod runs there)`,
        },
        t.kind === 'pod' ? flowEnd(t.pod) : { ip: t.ip ?? '' },
      );
      if (merged !== undefined) emitReport(merged, style);
    };
  },
};
