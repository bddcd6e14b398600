// `kubectl netcheck trace SRC DST`: any endpoint to any endpoint, both ways, with the NetworkPolicy
// objects' verdict next to the datapath's.
import { analysisContext } from '../../checks/context.ts';
import { InputError } from '../../lib/errors.ts';
import { traceFlow, traceQuery } from '../../checks/queries/trace.ts';
import type { Source } from '../../checks/queries/trace.ts';
import { flowEnd } from '../../checks/active/flow-plan.ts';
import { activeFlowStep } from '../active-step.ts';
import type { ActiveEnd } from '../active-step.ts';
import { activeMode, withActiveOptions } from '../options/active.ts';
import { loadModel } from '../analysis-source.ts';
import type { NetcheckCommand } from '../command.ts';
import { emitReport } from '../emit.ts';
import { withNamespaceOption } from '../options/cluster.ts';
import { analysisFlags } from '../options/analysis.ts';
import { ENDPOINT_FORMS, ENDPOINT_PREFIXES, endpointRef } from '../options/endpoint.ts';
import { withFlowOptions } from '../options/flow.ts';
import { withReportOptions } from '../options/report.ts';
import { withSourceOptions } from '../options/source.ts';
import { oneOf, port, text } from '../options/values.ts';

export const traceCommand: NetcheckCommand = {
  command: 'trace <src> <dst>',
  describe:
    'Trace any endpoint to any other — pod, node, Service, NodePort, LAN host — both ways, with the NetworkPolicy verdict',
  positionalCandidates: ENDPOINT_PREFIXES,
  builder: (y) =>
    withSourceOptions(
      withActiveOptions(
        withReportOptions(
          withFlowOptions(
            withNamespaceOption(
              y
                .positional('src', {
                  type: 'string',
                  describe: 'Where the flow starts: [namespace/]pod, pod IP, node/NAME or a LAN IP',
                })
                .positional('dst', { type: 'string', describe: `Where it goes: ${ENDPOINT_FORMS}` }),
            ),
          ),
          true,
        ),
      ),
    )
      .example(
        'kubectl netcheck trace default/client-0 svc/default/web:http',
        'A pod to a Service: the ClusterIP, then every endpoint',
      )
      .example(
        'kubectl netcheck trace node/node-a svc/web --port 80',
        'The node itself (OUTPUT, local routing) to a ClusterIP',
      )
      .example(
        'kubectl netcheck trace shop/api-0 shop/db-0 --port 5432',
        'Pod to pod, with the NetworkPolicies that decide it',
      )
      .example('kubectl netcheck trace 192.168.1.50 nodeport/node-b:30080', 'A LAN host to a NodePort')
      .example('kubectl netcheck trace default/web-0 192.168.1.20 --port 3306', 'A pod to a host on the LAN'),
  plan: async (argv) => {
    const source = endpointRef('SRC', text('SRC', argv['src'])!);
    const destination = endpointRef('DST', text('DST', argv['dst'])!);
    if (source.kind === 'service' || source.kind === 'nodeport')
      throw new InputError(
        `SRC ${text('SRC', argv['src'])}: a Service sends nothing; trace from a pod, node or LAN host`,
      );
    const p = port('--port', argv['port']);
    const protocol = oneOf('--protocol', argv['protocol'], ['tcp', 'udp', 'icmp'] as const);
    if (protocol === 'icmp' && p !== undefined) throw new InputError('--port does not apply to --protocol icmp');
    // Only a Service or NodePort can supply the port itself.
    if (
      protocol !== undefined &&
      protocol !== 'icmp' &&
      p === undefined &&
      destination.kind !== 'service' &&
      destination.kind !== 'nodeport'
    )
      throw new InputError(`--protocol ${protocol} needs --port`);
    const { namespace: ns, style, source: from } = await analysisFlags(argv);
    const active = activeMode(argv, from);
    return async () => {
      // A live collection probes every node: a Service's backends, a node's own routes and the way
      // back involve nodes the names alone do not say.
      const model = await loadModel(from, {});
      const ctx = analysisContext(model);
      const q = {
        source,
        destination,
        namespace: ns,
        ...(p !== undefined ? { port: p } : {}),
        ...(protocol !== undefined ? { protocol } : {}),
      };
      const doc = traceQuery(ctx, q);
      if (active === 'off') return emitReport(doc, style);
      const f = traceFlow(ctx, q);
      const merged = await activeFlowStep(
        ctx,
        doc,
        active,
        from,
        { protocol: f.protocol, ...(f.port !== undefined ? { port: f.port } : {}) },
        sendingEnd(f.src),
        f.dst.pod !== undefined ? flowEnd(f.dst.pod) : { ip: f.dst.ip },
      );
      if (merged !== undefined) emitReport(merged, style);
    };
  },
};

/** Where --active sends the flow from: a pod's own namespace; a node's or a LAN host's is not sent from. */
function sendingEnd(s: Source): ActiveEnd {
  if (s.kind === 'pod') return flowEnd(s.pod);
  if (s.kind === 'lan')
    return {
      ip: s.ip,
      cannotSend: `the flow is not sent: netcheck cannot send from the LAN host ${s.ip} (no probe pod runs there)`,
    };
  return {
    ip: s.node, // a name, not an address: no probe goes to it for this end
    cannotSend: `the flow is not sent: --active sends it from a pod's network namespace, not from node ${s.node}'s own`,
  };
}
