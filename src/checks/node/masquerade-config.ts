// CNI masquerade settings that do not mean what they seem (docs/incidents.md #5): a renamed key the
// running version ignores, set to something else than the value in effect. Which keys were
// renamed in which release, and how the release is known, is the CNI module's knowledge
// (src/model/cni/cilium.ts).
import { FINDINGS } from '../catalog.ts';
import { fixedNeeds } from '../check.ts';
import type { WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

export const masqueradeConfigCheck: WideScopeCheck = {
  name: 'masquerade-config',
  describe: 'deprecated or contradictory masquerade keys in the CNI configuration',
  scope: 'cluster',
  emits: ['masquerade-config-ignored'],
  onPath: false,
  notApplicable: (ctx) =>
    ctx.flavour.cni.value === 'cilium' || ctx.flavour.cni.value === 'unknown'
      ? undefined
      : `the cluster runs ${ctx.flavour.cni.value}, not Cilium`,
  needs: fixedNeeds([], ['configMaps']),
  run(ctx) {
    const out: Finding[] = [];
    for (const k of ctx.flavour.module?.ignoredKeys?.(ctx.model.cluster) ?? []) {
      const old = `${k.old}: ${JSON.stringify(k.oldValue)}`;
      out.push(
        finding('masquerade-config-ignored', {
          summary:
            k.currentValue === undefined
              ? `${k.where} sets ${old}, which ${ctx.flavour.cni.value} ${k.version.value} no longer reads: ${k.current} is not set, so its default ${k.effective} applies`
              : `${k.where} sets ${old} and ${k.current}: ${JSON.stringify(k.currentValue)}: only ${k.current} counts`,
          evidence: [
            `${k.where}: ${old}`,
            `${k.where}: ${k.current}: ${k.currentValue === undefined ? '(not set)' : JSON.stringify(k.currentValue)}`,
            `running version: ${k.version.value}${k.version.because.length > 0 ? ` (${k.version.because.join('; ')})` : ''}`,
          ],
          why: `${FINDINGS['masquerade-config-ignored'].meaning} ${k.why}.`,
          fix: k.fix,
        }),
      );
    }
    return out;
  },
};
