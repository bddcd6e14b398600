// ip_forward and per-device forwarding: a node that routes pod traffic must forward.
// Writing net.ipv4.ip_forward sets every device (devinet.c inet_forward_change); a device created
// later takes conf.default.forwarding, so a CNI device can still end up with 0.
import { confKey, forwarding } from '../../engine/kernel/sysctl.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';

export const forwardingCheck: NodeScopeCheck = {
  name: 'forwarding',
  describe: 'IPv4 forwarding is on, globally and on every device that carries pod traffic',
  scope: 'node',
  emits: ['forwarding-disabled'],
  onPath: true,
  needs: fixedNeeds(['sysctl', 'ip-addr']),
  node(_ctx, h) {
    const global = h.sysctls.get('net.ipv4.ip_forward');
    if (global !== undefined && global.trim() === '0') {
      return [
        finding('forwarding-disabled', {
          severity: 'critical',
          node: h.name,
          summary: `IPv4 forwarding is off on ${h.name}: it cannot route pod traffic`,
          evidence: [`net.ipv4.ip_forward = ${global}`],
          fix: `sysctl -w net.ipv4.ip_forward=1 on ${h.name}, persisted in /etc/sysctl.d/.`,
        }),
      ];
    }
    const off = h.links.filter(
      (l) =>
        l.kind !== 'loopback' &&
        l.up &&
        forwarding(h.sysctls, l.name).value === 0 &&
        h.sysctls.has(confKey(l.name, 'forwarding')),
    );
    if (off.length === 0) return [];
    return [
      finding('forwarding-disabled', {
        severity: 'error',
        node: h.name,
        summary: `forwarding is off on ${off.map((l) => l.name).join(', ')} of ${h.name}: packets arriving there are not routed on`,
        evidence: off.flatMap((l) => forwarding(h.sysctls, l.name).lines).filter((x, i, a) => a.indexOf(x) === i),
        fix:
          off.map((l) => `sysctl -w ${confKey(l.name, 'forwarding')}=1`).join('; ') +
          ` on ${h.name} (and net.ipv4.conf.default.forwarding=1 for devices created later).`,
      }),
    ];
  },
};
