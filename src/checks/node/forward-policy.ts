// FORWARD policy DROP (Docker sets it): pod traffic lives only as long as some rule accepts it.
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import type { NodeCheck } from './types.ts';

export const forwardPolicyCheck: NodeCheck = {
  name: 'forward-policy',
  describe: 'the filter FORWARD chain policy of either iptables backend',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.model.hosts.values()) {
      for (const rs of h.iptables) {
        const chain = rs.tables.get('filter')?.chains.get('FORWARD');
        if (chain?.policy !== 'DROP') continue;
        const cmd = rs.backend === 'legacy' ? 'iptables-legacy' : 'iptables';
        out.push({
          id: 'forward-policy-drop',
          severity: 'warning',
          node: h.name,
          summary: `the FORWARD policy of ${h.name} is DROP (${cmd}): forwarded traffic that no rule accepts is dropped`,
          evidence: [chain.raw, ...chain.rules.slice(0, 3).map((r) => r.raw)],
          why: FINDINGS['forward-policy-drop'].meaning,
          fix: `${cmd} -P FORWARD ACCEPT on ${h.name}, or accept the pod network explicitly (${cmd} -I FORWARD -s <podCIDR> -j ACCEPT; ${cmd} -I FORWARD -d <podCIDR> -j ACCEPT).`,
        });
      }
    }
    return out;
  },
};
