// The flags every analysis command (pod-to-pod, lan, externalip) reads the same way.
import type { Args } from '../command.ts';
import type { ReportStyle } from '../emit.ts';
import { namespaceFlag } from './cluster.ts';
import { reportStyle } from './report.ts';
import { type Source, sourceOf } from './source.ts';

export interface AnalysisFlags {
  /** The namespace of names without one: -n, else "default". */
  namespace: string;
  style: ReportStyle;
  source: Source;
}

export async function analysisFlags(argv: Args): Promise<AnalysisFlags> {
  const namespace = namespaceFlag(argv) ?? 'default';
  const style = reportStyle(argv);
  return { namespace, style, source: await sourceOf(argv) };
}
