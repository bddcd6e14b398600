// kube-proxy's iptables mode rules for the declared Services (kubernetes pkg/proxy/iptables/
// proxier.go, v1.29): service portals in nat KUBE-SERVICES, one KUBE-SVC chain per service port
// choosing an endpoint (statistic random), one KUBE-SEP chain per endpoint doing the DNAT, and the
// masquerade mark; in filter, KUBE-FORWARD and KUBE-FIREWALL. Chain names are hashed as kube-proxy
// hashes them, so they match what a real node of this cluster would hold.
import { createHash } from 'node:crypto';
import type { ClusterDecl, ServiceDecl } from './cluster.ts';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding), enough for the 16 characters kube-proxy keeps. */
function base32(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** portProtoHash / servicePortEndpointChainName: sha256 → base32 → first 16 characters. */
export function kubeChainHash(...parts: string[]): string {
  return base32(createHash('sha256').update(parts.join('')).digest()).slice(0, 16);
}

export interface KubeProxyRules {
  nat: { chains: string[]; rules: string[] };
  filter: { chains: string[]; rules: string[] };
}

export function kubeProxyIptables(d: ClusterDecl, endpoints: (s: ServiceDecl) => { ip: string }[]): KubeProxyRules {
  const natChains = [
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-SERVICES - [0:0]',
  ];
  const nat = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  const svcRules: string[] = [];
  const perService: string[] = [];
  for (const s of d.services) {
    const name = `${s.namespace}/${s.name}:${s.portName}`;
    const proto = s.protocol.toLowerCase();
    const svc = `KUBE-SVC-${kubeChainHash(name, proto)}`;
    const eps = endpoints(s);
    const port = s.app === '' ? 6443 : s.targetPort;
    natChains.push(`:${svc} - [0:0]`);
    svcRules.push(
      `-A KUBE-SERVICES -d ${s.clusterIP}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${s.port} -j ${svc}`,
    );
    if (d.kubeProxyNoClusterCidr !== true)
      perService.push(
        `-A ${svc} ! -s ${d.podNetwork} -d ${s.clusterIP}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${s.port} -j KUBE-MARK-MASQ`,
      );
    eps.forEach((e, i) => {
      const ep = `${e.ip}:${port}`;
      const sep = `KUBE-SEP-${kubeChainHash(name, proto, ep)}`;
      natChains.push(`:${sep} - [0:0]`);
      const left = eps.length - i;
      const pick = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      perService.push(`-A ${svc} -m comment --comment "${name} -> ${ep}"${pick} -j ${sep}`);
      perService.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      perService.push(
        `-A ${sep} -p ${proto} -m comment --comment "${name}" -m ${proto} -j DNAT --to-destination ${ep}`,
      );
    });
  }
  nat.push(
    ...svcRules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ...perService,
  );
  const filter = {
    chains: [':KUBE-FIREWALL - [0:0]', ':KUBE-FORWARD - [0:0]'],
    rules: [
      '-A INPUT -j KUBE-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A OUTPUT -j KUBE-FIREWALL',
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -m comment --comment "kubernetes forwarding rules" -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ],
  };
  return { nat: { chains: natChains, rules: nat }, filter };
}
