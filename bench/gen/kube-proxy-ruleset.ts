// Generates an `iptables-save -c` dump in kube-proxy's exact shape (iptables mode, v1.28+), for
// the parser benchmark: the rule text, chain naming and ordering are those of the real dump in
// test/fixtures/netfilter/output/kube-proxy.iptables-nft-save.txt, scaled up.
//  - chain names: kube-proxy's "KUBE-SVC-" + base32(sha256(svcPortName + protocol))[:16] and
//    "KUBE-SEP-" + base32(sha256(svcPortName + protocol + endpoint))[:16]
//    (pkg/proxy/iptables/proxier.go servicePortChainName / servicePortEndpointChainName);
//  - probabilities: kube-proxy writes 1/(n-i) with %0.10f, iptables stores it as a fraction of
//    2^31 and iptables-save prints it with %.11f (extensions/libxt_statistic.c), e.g. 0.33333333349;
//  - iptables-nft-save prints built-in chains first, then user chains sorted, and the rules grouped
//    by chain in that order.
// Every 10th service is a NodePort (KUBE-NODEPORTS + KUBE-EXT-*), every 50th has no endpoints
// (a REJECT rule in the filter table). Counters are deterministic pseudo-random numbers.
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 of the first bytes of a digest, first 16 characters (what kube-proxy keeps). */
export function hash16(s: string): string {
  const bytes = createHash('sha256').update(s).digest();
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 16) break;
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** What iptables-save prints for `--probability p` (libxt_statistic.c: u32 of p * 2^31, "%.11f"). */
function savedProbability(p: number): string {
  return (Math.round(p * 0x80000000) / 0x80000000).toFixed(11);
}

function ip(base: number, n: number): string {
  const v = (base + n) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

const SERVICE_BASE = (10 << 24) | (96 << 16); // 10.96.0.0/12
const POD_BASE = (10 << 24) | (244 << 16); // 10.244.0.0/16
const CLUSTER_CIDR = '10.244.0.0/16';

/**
 * An iptables-save -c dump of a node running kube-proxy in iptables mode with `services`
 * ClusterIP services of `endpointsPerService` endpoints each. 10k services × 3 endpoints gives
 * about 113k rules.
 */
export function generateKubeProxyRuleset(services: number, endpointsPerService: number): string {
  let seed = 12345;
  const counters = (): string => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const packets = seed % 7 === 0 ? seed % 100000 : 0;
    return `[${packets}:${packets * 74}]`;
  };

  const natChains = new Map<string, string[]>();
  const filterChains = new Map<string, string[]>();
  const add = (chains: Map<string, string[]>, chain: string, rule: string): void => {
    let rules = chains.get(chain);
    if (rules === undefined) {
      rules = [];
      chains.set(chain, rules);
    }
    if (rule !== '') rules.push(`${counters()} -A ${chain} ${rule}`);
  };

  for (const c of [
    'PREROUTING',
    'INPUT',
    'OUTPUT',
    'POSTROUTING',
    'KUBE-SERVICES',
    'KUBE-NODEPORTS',
    'KUBE-MARK-MASQ',
    'KUBE-POSTROUTING',
  ])
    add(natChains, c, '');
  add(natChains, 'PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(natChains, 'OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  add(natChains, 'POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  add(natChains, 'KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  add(natChains, 'KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  add(natChains, 'KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  add(
    natChains,
    'KUBE-POSTROUTING',
    '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );

  for (const c of [
    'INPUT',
    'FORWARD',
    'OUTPUT',
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FIREWALL',
    'KUBE-FORWARD',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SERVICES',
  ])
    add(filterChains, c, '');
  add(
    filterChains,
    'INPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  );
  add(filterChains, 'INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS');
  add(
    filterChains,
    'INPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  );
  add(filterChains, 'INPUT', '-j KUBE-FIREWALL');
  add(
    filterChains,
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  );
  add(filterChains, 'FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
  add(
    filterChains,
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  );
  add(
    filterChains,
    'FORWARD',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  );
  add(
    filterChains,
    'OUTPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
  );
  add(
    filterChains,
    'OUTPUT',
    '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  );
  add(filterChains, 'OUTPUT', '-j KUBE-FIREWALL');
  add(
    filterChains,
    'KUBE-FIREWALL',
    '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  );
  add(filterChains, 'KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  add(
    filterChains,
    'KUBE-FORWARD',
    '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
  );
  add(
    filterChains,
    'KUBE-FORWARD',
    '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );

  let pod = 0;
  for (let s = 0; s < services; s++) {
    const ns = `ns${s % 97}`;
    const name = `svc-${s}`;
    const port = s % 3 === 0 ? 'http' : s % 3 === 1 ? 'https' : 'grpc';
    const proto = s % 11 === 0 ? 'udp' : 'tcp';
    const svcPort = s % 3 === 0 ? 80 : s % 3 === 1 ? 443 : 9090;
    const targetPort = 8000 + (s % 1000);
    const spn = `${ns}/${name}:${port}`;
    const clusterIp = ip(SERVICE_BASE, 10 + s);
    const svcChain = `KUBE-SVC-${hash16(spn + proto)}`;
    const endpoints = s % 50 === 49 ? 0 : endpointsPerService;

    if (endpoints === 0) {
      add(
        filterChains,
        'KUBE-SERVICES',
        `-d ${clusterIp}/32 -p ${proto} -m comment --comment "${spn} has no endpoints" -m ${proto} --dport ${svcPort} -j REJECT --reject-with icmp-port-unreachable`,
      );
      continue;
    }
    add(
      natChains,
      'KUBE-SERVICES',
      `-d ${clusterIp}/32 -p ${proto} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${svcPort} -j ${svcChain}`,
    );
    add(
      natChains,
      svcChain,
      `! -s ${CLUSTER_CIDR} -d ${clusterIp}/32 -p ${proto} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${svcPort} -j KUBE-MARK-MASQ`,
    );
    if (s % 10 === 0) {
      const extChain = `KUBE-EXT-${hash16(spn + proto)}`;
      const nodePort = 30000 + (s % 2768);
      add(
        natChains,
        'KUBE-NODEPORTS',
        `-p ${proto} -m comment --comment "${spn}" -m ${proto} --dport ${nodePort} -j ${extChain}`,
      );
      add(
        natChains,
        extChain,
        `-m comment --comment "masquerade traffic for ${spn} external destinations" -j KUBE-MARK-MASQ`,
      );
      add(natChains, extChain, `-j ${svcChain}`);
    }
    for (let e = 0; e < endpoints; e++) {
      const epIp = ip(POD_BASE, 2 + (pod++ % 65000));
      const endpoint = `${epIp}:${targetPort}`;
      const sepChain = `KUBE-SEP-${hash16(spn + proto + endpoint)}`;
      const remaining = endpoints - e;
      const stat = remaining > 1 ? ` -m statistic --mode random --probability ${savedProbability(1 / remaining)}` : '';
      add(natChains, svcChain, `-m comment --comment "${spn} -> ${endpoint}"${stat} -j ${sepChain}`);
      add(natChains, sepChain, `-s ${epIp}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`);
      add(
        natChains,
        sepChain,
        `-p ${proto} -m comment --comment "${spn}" -m ${proto} -j DNAT --to-destination ${endpoint}`,
      );
    }
  }
  add(
    natChains,
    'KUBE-SERVICES',
    '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );

  const date = 'Mon Nov 23 10:00:00 2026';
  const table = (name: string, chains: Map<string, string[]>, builtins: readonly string[]): string[] => {
    const user = [...chains.keys()].filter((c) => !builtins.includes(c)).sort();
    const order = [...builtins.filter((c) => chains.has(c)), ...user];
    return [
      `# Generated by iptables-nft-save v1.8.9 (nf_tables) on ${date}`,
      `*${name}`,
      ...order.map((c) => (builtins.includes(c) ? `:${c} ACCEPT [0:0]` : `:${c} - [0:0]`)),
      ...order.flatMap((c) => chains.get(c) ?? []),
      'COMMIT',
      `# Completed on ${date}`,
    ];
  };
  return [
    ...table('filter', filterChains, ['INPUT', 'FORWARD', 'OUTPUT']),
    ...table('nat', natChains, ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING']),
    '',
  ].join('\n');
}
