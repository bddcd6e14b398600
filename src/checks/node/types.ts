// A doctor check: reads the analysis context, returns findings. One check per file, named for
// what it checks (the model is cilium-cli's connectivity/check layout).
import type { AnalysisContext } from '../context.ts';
import type { Finding } from '../finding.ts';

export interface NodeCheck {
  /** Short name shown by `doctor --list`. */
  name: string;
  describe: string;
  run(ctx: AnalysisContext): Finding[];
}
