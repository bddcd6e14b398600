// FORWARD policy DROP (Docker sets it): pod traffic lives only as long as some rule accepts it.
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { ruleSaid } from '../../model/rule-said.ts';

export const forwardPolicyCheck: NodeScopeCheck = {
  name: 'forward-policy',
  describe: 'the filter FORWARD chain policy of either iptables backend',
  scope: 'node',
  emits: ['forward-policy-drop'],
  onPath: true,
  needs: fixedNeeds(['iptables-nft-save', 'iptables-legacy-save']),
  node(_ctx, h) {
    const out: Finding[] = [];
    for (const rs of h.iptables) {
      const chain = rs.tables.get('filter')?.chains.get('FORWARD');
      if (chain?.policy !== 'DROP') continue;
      const cmd = rs.backend === 'legacy' ? 'iptables-legacy' : 'iptables';
      out.push(
        finding('forward-policy-drop', {
          node: h.name,
          summary: `the FORWARD policy of ${h.name} is DROP (${cmd}): forwarded traffic that no rule accepts is dropped`,
          evidence: [chain.raw, ...chain.rules.slice(0, 3).map((r) => ruleSaid(rs, r).raw)],
          fix: `${cmd} -P FORWARD ACCEPT on ${h.name}, or accept the pod network explicitly (${cmd} -I FORWARD -s <podCIDR> -j ACCEPT; ${cmd} -I FORWARD -d <podCIDR> -j ACCEPT).`,
        }),
      );
    }
    return out;
  },
};
