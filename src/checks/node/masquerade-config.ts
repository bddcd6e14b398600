// CNI masquerade settings that do not mean what they seem (INCIDENTS.md #5): Cilium keys renamed
// in 1.10/1.11 (masquerade → enable-ipv4-masquerade, native-routing-cidr → ipv4-native-routing-cidr).
import { configMap } from '../../model/detect.ts';
import { fixedNeeds } from '../check.ts';
import type { WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

const RENAMED: readonly [string, string][] = [
  ['masquerade', 'enable-ipv4-masquerade'],
  ['native-routing-cidr', 'ipv4-native-routing-cidr'],
];

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
    const cilium = configMap(ctx.model.cluster, 'cilium-config');
    if (cilium === undefined) return out;
    for (const [old, current] of RENAMED) {
      const o = cilium.data[old];
      if (o === undefined) continue;
      const c = cilium.data[current];
      const where = `ConfigMap ${cilium.namespace}/cilium-config`;
      const summary =
        c === undefined
          ? `${where} sets the deprecated key ${old}: ${JSON.stringify(o)} but not ${current}: Cilium versions that no longer read ${old} use ${current}'s default instead`
          : c !== o
            ? `${where} sets ${old}: ${JSON.stringify(o)} and ${current}: ${JSON.stringify(c)}: only ${current} counts`
            : `${where} still sets the deprecated key ${old}: ${JSON.stringify(o)} beside ${current}: changing ${old} no longer changes anything`;
      out.push(
        finding('masquerade-config-ignored', {
          summary,
          evidence: [
            `${where}: ${old}: ${JSON.stringify(o)}`,
            `${where}: ${current}: ${c === undefined ? '(not set)' : JSON.stringify(c)}`,
          ],
          fix: `kubectl -n ${cilium.namespace} edit configmap cilium-config: set ${current}: ${JSON.stringify(o)} (what ${old} meant) and remove ${old}; then restart the Cilium agents (kubectl -n ${cilium.namespace} rollout restart ds/cilium).`,
        }),
      );
    }
    return out;
  },
};
