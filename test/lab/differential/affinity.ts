// Knob of the routed differential template: a router holds kube-proxy's rules for a Service with
// sessionAffinity: ClientIP, one port per protocol (UDP and TCP), on one of the flows'
// destinations (the rule text kube-proxy writes, proxier_test.go TestOverallIPTablesRules shape:
// an `-m recent --rcheck` rule per endpoint before the endpoint choice, `-m recent --set` beside
// the DNAT). One endpoint, one of the server's addresses: with more, kube-proxy adds `-m
// statistic` and the kernel picks one branch at random while the engine reports all of them.
// Chain names are hashed as kube-proxy hashes them.
import { kubeChainHash } from '../incidents/kube-proxy.ts';
import { chance, pick, type Rand } from './routed.ts';

const PORT = 7777;

/** nat-table lines (chain headers and rules) to append on `host`; none when the knob is off. */
export function sessionAffinityService(r: Rand, host: string, summary: string[]): string[] {
  if (!chance(r, 0.5)) return [];
  const vip = pick(r, ['10.2.0.2', '10.4.0.2', '10.9.0.1']);
  const epIp = pick(r, ['10.2.0.2', '10.4.0.2']);
  const ep = `${epIp}:${PORT}`;
  summary.push(`${host}: sessionAffinity ClientIP Service ${vip}:${PORT} udp+tcp → ${ep} (-m recent)`);
  const lines = [':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]'];
  const rules = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
  ];
  for (const proto of ['udp', 'tcp'] as const) {
    const name = `diff/affinity:${proto}`;
    const svc = `KUBE-SVC-${kubeChainHash(name, proto)}`;
    const sep = `KUBE-SEP-${kubeChainHash(name, proto, ep)}`;
    lines.push(`:${svc} - [0:0]`, `:${sep} - [0:0]`);
    rules.push(
      `-A KUBE-SERVICES -m comment --comment "${name} cluster IP" -m ${proto} -p ${proto} -d ${vip} --dport ${PORT} -j ${svc}`,
      `-A ${svc} -m comment --comment "${name} -> ${ep}" -m recent --name ${sep} --rcheck --seconds 10800 --reap -j ${sep}`,
      `-A ${svc} -m comment --comment "${name} -> ${ep}" -j ${sep}`,
      `-A ${sep} -m comment --comment ${name} -s ${epIp} -j KUBE-MARK-MASQ`,
      `-A ${sep} -m comment --comment ${name} -m recent --name ${sep} --set -m ${proto} -p ${proto} -j DNAT --to-destination ${ep}`,
    );
  }
  return [...lines, ...rules];
}
