// ip_forward and per-device forwarding: a node that routes pod traffic must forward.
// Writing net.ipv4.ip_forward sets every device (devinet.c inet_forward_change); a device created
// later takes conf.default.forwarding, so a CNI device can still end up with 0.
import { confKey, forwarding } from '../../engine/kernel/sysctl.ts';
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';
import type { NodeCheck } from './types.ts';

export const forwardingCheck: NodeCheck = {
  name: 'ip-forward',
  describe: 'IPv4 forwarding is on, globally and on every device that carries pod traffic',
  run(ctx) {
    const out: Finding[] = [];
    for (const h of ctx.model.hosts.values()) {
      const global = h.sysctls.get('net.ipv4.ip_forward');
      if (global !== undefined && global.trim() === '0') {
        out.push({
          id: 'forwarding-disabled',
          severity: 'critical',
          node: h.name,
          summary: `IPv4 forwarding is off on ${h.name}: it cannot route pod traffic`,
          evidence: [`net.ipv4.ip_forward = ${global}`],
          why: FINDINGS['forwarding-disabled'].meaning,
          fix: `sysctl -w net.ipv4.ip_forward=1 on ${h.name}, persisted in /etc/sysctl.d/.`,
        });
        continue;
      }
      const off = h.links.filter(
        (l) =>
          l.kind !== 'loopback' &&
          l.up &&
          forwarding(h.sysctls, l.name).value === 0 &&
          h.sysctls.has(confKey(l.name, 'forwarding')),
      );
      if (off.length > 0) {
        out.push({
          id: 'forwarding-disabled',
          severity: 'error',
          node: h.name,
          summary: `forwarding is off on ${off.map((l) => l.name).join(', ')} of ${h.name}: packets arriving there are not routed on`,
          evidence: off.flatMap((l) => forwarding(h.sysctls, l.name).lines).filter((x, i, a) => a.indexOf(x) === i),
          why: FINDINGS['forwarding-disabled'].meaning,
          fix:
            off.map((l) => `sysctl -w ${confKey(l.name, 'forwarding')}=1`).join('; ') +
            ` on ${h.name} (and net.ipv4.conf.default.forwarding=1 for devices created later).`,
        });
      }
    }
    return out;
  },
};
