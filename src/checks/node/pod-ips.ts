// Two running pods with one address: packets for it reach whichever pod the routes lead to, so
// the other is unreachable at its own address (IPAM handed it out twice, or a stale pod object).
import { fixedNeeds } from '../check.ts';
import type { WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { podsSharingIp } from '../resolve.ts';

export const podIpsCheck: WideScopeCheck = {
  name: 'pod-ips',
  describe: 'no two running pods share an IP address',
  scope: 'cluster',
  emits: ['pod-ip-duplicate'],
  onPath: false,
  needs: fixedNeeds([], ['pods']),
  run(ctx) {
    const out: Finding[] = [];
    for (const [ip, pods] of podsSharingIp(ctx.model.cluster)) out.push(duplicateIpFinding(ip, pods));
    return out;
  },
};

export function duplicateIpFinding(
  ip: string,
  pods: readonly { namespace: string; name: string; node?: string }[],
): Finding {
  const names = pods.map((p) => `${p.namespace}/${p.name}`);
  return finding('pod-ip-duplicate', {
    node: pods[0]?.node,
    summary: `${names.join(' and ')} have the same IP ${ip}: packets for ${ip} reach only one of them`,
    evidence: pods.map(
      (p) => `Pod ${p.namespace}/${p.name}: podIP ${ip}${p.node !== undefined ? ` on ${p.node}` : ''}`,
    ),
  });
}
