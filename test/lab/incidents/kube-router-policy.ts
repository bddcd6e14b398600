// kube-router's NetworkPolicy controller (--run-firewall) as it renders the filter table of one node,
// from its source (cloudnativelabs/kube-router 7c2c2779, v2.11.0+1, pkg/controllers/netpol):
//
//   INPUT/FORWARD/OUTPUT → KUBE-ROUTER-<chain> at position 1 (npc_iptables.go ensureTopLevelChains,
//     comment "kube-router netpol - <uuid>"); KUBE-ROUTER-INPUT first returns Service-range and
//     node-port traffic.
//   KUBE-ROUTER-<chain>: per local pod, jumps "ns/name in" (-d) and "ns/name out" (-s) to its
//     KUBE-POD-FW-* chain (pod.go interceptPod*Traffic), then KUBE-NWPLCY-TAIL and the explicit
//     ACCEPT of mark 0x20000 (ensureTailChainPosition, ensureExplicitAccept).
//   KUBE-POD-FW-*: KUBE-NWPLCY-COMMON (invalid DROP, established ACCEPT, ICMP), local-node ACCEPT,
//     KUBE-NWPLCY-DEFAULT (marks 0x10000) for a direction no policy selects the pod for, the
//     policies' KUBE-NWPLCY-* chains otherwise, NFLOG and REJECT of unmarked traffic, then the
//     netpol-ok mark 0x20000 (pod.go syncPodFirewallChains, setupPodNetpolRules).
//   KUBE-NWPLCY-<policy>: mark 0x10000 and RETURN for sources in the rule's KUBE-SRC-* set, targets
//     in the policy's KUBE-DST-* set, on the rule's port (policy.go processIngressRules).
//
// Every pod gets a chain, selected or not. Chain names hash the sync's version (a base-10 Unix
// time in nanoseconds), fixed here. Only ingress policies admitting pods by app label.
import { createHash } from 'node:crypto';
import type { NetworkPolicyDecl } from './felix-policy.ts';

/** A local pod as the controller sees it (host-network pods are not "actionable"). */
export interface PolicyPod {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  app: string;
}

/** A fixed sync version: strconv.FormatInt(time.Now().UnixNano(), 10). */
const SYNC_VERSION = '1764856800000000000';
const NODE_PORTS = '30000:32767';
const RFC4648 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** base32.StdEncoding.EncodeToString(sha256(s))[:16], the suffix of every name kube-router hashes. */
function hash16(s: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of createHash('sha256').update(s).digest()) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += RFC4648[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

const podChain = (p: PolicyPod) => `KUBE-POD-FW-${hash16(`${p.namespace}${p.name}${SYNC_VERSION}`)}`;
const policyChain = (p: NetworkPolicyDecl) => `KUBE-NWPLCY-${hash16(`${p.namespace}${p.name}${SYNC_VERSION}IPv4`)}`;
const dstSet = (p: NetworkPolicyDecl) => `KUBE-DST-${hash16(`${p.namespace}${p.name}IPv4`)}`;
const srcSet = (p: NetworkPolicyDecl) => `KUBE-SRC-${hash16(`${p.namespace}${p.name}ingressrule0IPv4pod`)}`;

/** ensureTopLevelChains: the comment carries a hash of the rule as first written (its uuid). */
function positioned(chain: string, spec: string[], comment: string): string {
  const uuid = hash16(chain + spec.join(''));
  return `-A ${chain} ${spec.join(' ').replace(`--comment ${comment}`, `--comment "${comment} - ${uuid}"`)}`;
}

export interface KubeRouterPolicy {
  /** Chain declarations of the filter table. */
  chains: string[];
  /** Rules to put first in INPUT/FORWARD/OUTPUT (the jumps kube-router keeps at position 1). */
  top: string[];
  rules: string[];
  ipsets: string[];
}

const TOP = ['INPUT', 'FORWARD', 'OUTPUT'] as const;

/** The filter table and ipsets kube-router writes on `node`, for `pods` (all of the cluster's) and the policies. */
export function kubeRouterPolicy(
  node: string,
  pods: readonly PolicyPod[],
  policies: readonly NetworkPolicyDecl[],
  serviceCidr: string,
): KubeRouterPolicy {
  const local = pods.filter((p) => p.node === node);
  const selects = (pol: NetworkPolicyDecl, p: PolicyPod) => p.namespace === pol.namespace && p.app === pol.app;
  const rules: string[] = [];
  const top = TOP.map((c) =>
    positioned(c, ['-m', 'comment', '--comment', 'kube-router netpol', '-j', `KUBE-ROUTER-${c}`], 'kube-router netpol'),
  );
  const input = 'KUBE-ROUTER-INPUT';
  rules.push(
    positioned(
      input,
      [
        '-m',
        'comment',
        '--comment',
        'allow traffic to primary/secondary cluster IP range',
        '-d',
        serviceCidr,
        '-j',
        'RETURN',
      ],
      'allow traffic to primary/secondary cluster IP range',
    ),
    ...(['tcp', 'udp', 'sctp'] as const).map((proto) => {
      const comment = `allow LOCAL ${proto.toUpperCase()} traffic to node ports`;
      return positioned(
        input,
        [
          '-p',
          proto,
          '-m',
          'comment',
          '--comment',
          comment,
          '-m',
          'addrtype',
          '--dst-type',
          'LOCAL',
          '-m',
          'multiport',
          '--dports',
          NODE_PORTS,
          '-j',
          'RETURN',
        ],
        comment,
      );
    }),
  );
  for (const p of local) {
    const c = podChain(p);
    const id = `${p.namespace}/${p.name}`;
    rules.push(
      `-A KUBE-ROUTER-FORWARD -m comment --comment "${id} in" -d ${p.ip} -j ${c}`,
      `-A KUBE-ROUTER-OUTPUT -m comment --comment "${id} in" -d ${p.ip} -j ${c}`,
      `-A KUBE-ROUTER-FORWARD -m physdev --physdev-is-bridged -m comment --comment "${id} in" -d ${p.ip} -j ${c}`,
      ...TOP.map((t) => `-A KUBE-ROUTER-${t} -m comment --comment "${id} out" -s ${p.ip} -j ${c}`),
      `-A KUBE-ROUTER-FORWARD -m physdev --physdev-is-bridged -m comment --comment "${id} out" -s ${p.ip} -j ${c}`,
    );
    // setupPodNetpolRules inserts at position 1 in this order: policies, default ingress, default egress, local node, common.
    const inserted: string[] = [];
    const ingress = policies.filter((pol) => selects(pol, p));
    for (const pol of ingress)
      inserted.push(`-d ${p.ip} -m comment --comment "${pol.namespace}/${pol.name} policy" -j ${policyChain(pol)}`);
    if (ingress.length === 0) inserted.push(`-d ${p.ip} -m comment --comment "default ingress" -j KUBE-NWPLCY-DEFAULT`);
    inserted.push(`-s ${p.ip} -m comment --comment "default egress" -j KUBE-NWPLCY-DEFAULT`);
    inserted.push(`-m comment --comment "from local node" -m addrtype --src-type LOCAL -d ${p.ip} -j ACCEPT`);
    inserted.push('-m comment --comment "common netpol rules" -j KUBE-NWPLCY-COMMON');
    rules.push(
      ...inserted.reverse().map((r) => `-A ${c} ${r}`),
      `-A ${c} -m comment --comment "${id} log-drop" -m mark ! --mark 0x10000/0x10000 -j NFLOG --nflog-group 100 -m limit --limit 10/minute --limit-burst 10`,
      `-A ${c} -m comment --comment "${id} reject" -m mark ! --mark 0x10000/0x10000 -j REJECT`,
      `-A ${c} -j MARK --set-mark 0/0x10000`,
      `-A ${c} -m comment --comment "set netpol-ok mark" -j MARK --set-mark 0x20000/0x20000`,
    );
  }
  for (const t of TOP) {
    rules.push(
      `-A KUBE-ROUTER-${t} -m comment --comment "rule to explicitly handle traffic for network policies ACCEPT/REJECT decision" -j KUBE-NWPLCY-TAIL`,
      `-A KUBE-ROUTER-${t} -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT`,
    );
  }
  rules.push(
    '-A KUBE-NWPLCY-DEFAULT -j MARK -m comment --comment "rule to mark traffic matching a network policy" --set-xmark 0x10000/0x10000',
    '-A KUBE-NWPLCY-COMMON -m comment --comment "rule to drop invalid state for pod" -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-NWPLCY-COMMON -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A KUBE-NWPLCY-COMMON -m comment --comment "allow icmp echo requests" -p icmp --icmp-type echo-request -j ACCEPT',
    '-A KUBE-NWPLCY-COMMON -m comment --comment "allow icmp destination unreachable messages" -p icmp --icmp-type destination-unreachable -j ACCEPT',
    '-A KUBE-NWPLCY-COMMON -m comment --comment "allow icmp time exceeded messages" -p icmp --icmp-type time-exceeded -j ACCEPT',
    '-A KUBE-NWPLCY-TAIL -m comment --comment "accept netpol-ok" -m mark --mark 0x20000/0x20000 -j ACCEPT',
  );
  const ipsets: string[] = [];
  for (const pol of policies) {
    const c = policyChain(pol);
    const targets = pods.filter((p) => selects(pol, p)).map((p) => p.ip);
    const sources = pods.filter((p) => p.namespace === pol.namespace && pol.from.includes(p.app)).map((p) => p.ip);
    const set = (name: string, ips: string[]) => [
      `create ${name} hash:ip family inet hashsize 1024 maxelem 65536 timeout 0`,
      ...ips.map((ip) => `add ${name} ${ip} timeout 0`),
    ];
    ipsets.push(...set(dstSet(pol), targets));
    if (pol.from.length === 0) continue;
    ipsets.push(...set(srcSet(pol), sources));
    const match = `-m comment --comment "${pol.namespace}/${pol.name} ingress pods" -m set --match-set ${srcSet(pol)} src -m set --match-set ${dstSet(pol)} dst -p ${pol.protocol.toLowerCase()} --dport ${pol.port}`;
    rules.push(
      `-A ${c} ${match} -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${c} ${match} -m mark --mark 0x10000/0x10000 -j RETURN`,
    );
  }
  const chains = [
    ...TOP.map((t) => `KUBE-ROUTER-${t}`),
    ...local.map(podChain),
    ...policies.map(policyChain),
    'KUBE-NWPLCY-DEFAULT',
    'KUBE-NWPLCY-COMMON',
    'KUBE-NWPLCY-TAIL',
  ].map((c) => `:${c} - [0:0]`);
  return { chains, top, rules, ipsets };
}
