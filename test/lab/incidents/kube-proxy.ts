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

/**
 * kube-proxy's rules on `node`. A NodePort Service gets KUBE-NODEPORTS → KUBE-EXT-*; with
 * externalTrafficPolicy Local the KUBE-EXT chain lets pods and the node itself use every endpoint
 * and sends the rest to KUBE-SVL-* (the node's own endpoints), and when the node has none, filter
 * KUBE-EXTERNAL-SERVICES drops the NodePort ("has no local endpoints") — the v1.30 shapes of
 * proxier_test.go TestOverallIPTablesRules (test/unit/netfilter/kube-proxy-services.ts).
 */
export function kubeProxyIptables(
  d: ClusterDecl,
  node: string,
  endpoints: (s: ServiceDecl) => { ip: string; node: string }[],
): KubeProxyRules {
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
  const nodePorts: string[] = [];
  const external: string[] = [];
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
    perService.push(
      `-A ${svc} ! -s ${d.podNetwork} -d ${s.clusterIP}/32 -p ${proto} -m comment --comment "${name} cluster IP" -m ${proto} --dport ${s.port} -j KUBE-MARK-MASQ`,
    );
    const sepOf = (e: { ip: string }): string => `KUBE-SEP-${kubeChainHash(name, proto, `${e.ip}:${port}`)}`;
    const pick = (chain: string, list: readonly { ip: string }[]): void =>
      list.forEach((e, i) => {
        const left = list.length - i;
        const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
        perService.push(`-A ${chain} -m comment --comment "${name} -> ${e.ip}:${port}"${stat} -j ${sepOf(e)}`);
      });
    pick(svc, eps);
    for (const e of eps) {
      const ep = `${e.ip}:${port}`;
      const sep = sepOf(e);
      natChains.push(`:${sep} - [0:0]`);
      perService.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment "${name}" -j KUBE-MARK-MASQ`);
      perService.push(
        `-A ${sep} -p ${proto} -m comment --comment "${name}" -m ${proto} -j DNAT --to-destination ${ep}`,
      );
    }
    if (s.nodePort === undefined) continue;
    const ext = `KUBE-EXT-${kubeChainHash(name, proto)}`;
    natChains.push(`:${ext} - [0:0]`);
    nodePorts.push(
      `-A KUBE-NODEPORTS -m comment --comment ${name} -m ${proto} -p ${proto} --dport ${s.nodePort} -j ${ext}`,
    );
    if (s.externalTrafficPolicy !== 'Local') {
      perService.push(
        `-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`,
        `-A ${ext} -j ${svc}`,
      );
      continue;
    }
    perService.push(
      `-A ${ext} -m comment --comment "pod traffic for ${name} external destinations" -s ${d.podNetwork} -j ${svc}`,
      `-A ${ext} -m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${ext} -m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
    );
    const local = eps.filter((e) => e.node === node);
    if (local.length === 0) {
      external.push(
        `-A KUBE-EXTERNAL-SERVICES -m comment --comment "${name} has no local endpoints" -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${s.nodePort} -j DROP`,
      );
      continue;
    }
    const svl = `KUBE-SVL-${kubeChainHash(name, proto)}`;
    natChains.push(`:${svl} - [0:0]`);
    perService.push(`-A ${ext} -j ${svl}`);
    pick(svl, local);
  }
  nat.push(
    ...svcRules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ...nodePorts,
    ...perService,
  );
  const filter = {
    chains: [':KUBE-EXTERNAL-SERVICES - [0:0]', ':KUBE-FIREWALL - [0:0]', ':KUBE-FORWARD - [0:0]'],
    rules: [
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A INPUT -j KUBE-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A OUTPUT -j KUBE-FIREWALL',
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -m comment --comment "kubernetes forwarding rules" -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ...external,
    ],
  };
  return { nat: { chains: natChains, rules: nat }, filter };
}
