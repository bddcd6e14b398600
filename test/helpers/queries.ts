// The commands of the examples as in-process calls: `lan` and `pod-to-pod` with the README's arguments.
import type { AnalysisContext } from '../../src/checks/context.ts';
import { lanQuery } from '../../src/checks/queries/lan.ts';
import { podToPod } from '../../src/checks/queries/pod-to-pod.ts';
import type { ReportDoc } from '../../src/checks/report-doc.ts';
import { traceQuery } from '../../src/checks/queries/trace.ts';
import { endpointRef } from '../../src/cli/options/endpoint.ts';

export const lanRun =
  (lanHost: string, target: string, port: number, via?: string) =>
  (ctx: AnalysisContext): ReportDoc =>
    lanQuery(ctx, {
      lanHost,
      target,
      namespace: 'default',
      protocol: 'tcp',
      port,
      ...(via !== undefined ? { via } : {}),
    });

export const podToPodRun =
  (source: string, destination: string, port: number, protocol: 'tcp' | 'udp' = 'tcp') =>
  (ctx: AnalysisContext): ReportDoc =>
    podToPod(ctx, { source, destination, namespace: 'default', protocol, port });

/** `trace SRC DST` with the README's arguments (forms as on the command line). */
export const traceRun =
  (source: string, destination: string, port?: number, protocol?: 'tcp' | 'udp') =>
  (ctx: AnalysisContext): ReportDoc =>
    traceQuery(ctx, {
      source: endpointRef('SRC', source),
      destination: endpointRef('DST', destination),
      namespace: 'default',
      ...(port !== undefined ? { port } : {}),
      ...(protocol !== undefined ? { protocol } : {}),
    });
