// kube-router's NetworkPolicy chains through the kernel: a node with a pod on cni0 and a LAN host,
// the filter rules kube-router writes for one ingress policy on the pod (pod.go, policy.go: the
// pod chain KUBE-POD-FW-*, one policy chain KUBE-NWPLCY-* that marks 0x10000, the REJECT of
// unmarked traffic), in the comment shapes of v2.10 and of v2.11+ (comments.go). They are loaded
// with iptables-nft-restore and read back by the real probe. A LAN host the policy does not
// admit is refused by the kernel and by the engine, and netcheck names the policy from the chain
// the pod's chain jumped to; with a second policy admitting the LAN's ipBlock both deliver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FROM_FRONTEND, FROM_LAN, POD, POD_FW, checkLanToWeb, kubeRouterTopology } from './kube-router-lab.ts';
import { labUnsupportedReason, sharedLab } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;

interface Shape {
  version: string;
  jumpIn: string;
  jumpPolicy: (name: string) => string;
  logDrop: string;
  reject: string;
  acceptPods: (name: string) => string;
  acceptCidr: (name: string) => string;
}

/** The comments of kube-router up to v2.10 (pod.go, policy.go) and from v2.11 (comments.go idComment). */
const SHAPES: Shape[] = [
  {
    version: 'v2.10',
    jumpIn: `rule to jump traffic destined to POD name:web-0 namespace: default to chain ${POD_FW}`,
    jumpPolicy: (name) => `run through nw policy ${name}`,
    logDrop: 'rule to log dropped traffic POD name:web-0 namespace: default',
    reject: 'rule to REJECT traffic destined for POD name:web-0 namespace: default',
    acceptPods: (name) =>
      `rule to ACCEPT traffic from source pods to dest pods selected by policy name ${name} namespace default`,
    acceptCidr: (name) =>
      `rule to ACCEPT traffic from specified ipBlocks to dest pods selected by policy name: ${name} namespace default`,
  },
  {
    version: 'v2.11',
    jumpIn: 'default/web-0 in',
    jumpPolicy: (name) => `default/${name} policy`,
    logDrop: 'default/web-0 log-drop',
    reject: 'default/web-0 reject',
    acceptPods: (name) => `default/${name} ingress pods`,
    acceptCidr: (name) => `default/${name} ingress cidr`,
  },
];

/** kube-router's filter rules for web-0 (10.0.0.2) with the policies named; web-from-lan optional. */
function rules(s: Shape, withLanPolicy: boolean): string {
  const mark = (chain: string, comment: string, match: string) => [
    `-A ${chain} -m comment --comment "${comment}" ${match} -j MARK --set-xmark 0x10000/0x10000`,
    `-A ${chain} -m comment --comment "${comment}" ${match} -m mark --mark 0x10000/0x10000 -j RETURN`,
  ];
  const policies = [
    ['web-from-frontend', FROM_FRONTEND],
    ...(withLanPolicy ? [['web-from-lan', FROM_LAN]] : []),
  ] as const;
  return [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-ROUTER-FORWARD - [0:0]',
    `:${POD_FW} - [0:0]`,
    ...policies.map(([, c]) => `:${c} - [0:0]`),
    '-A FORWARD -m comment --comment "kube-router netpol - TEMCG2JMHZYE7H7T" -j KUBE-ROUTER-FORWARD',
    `-A KUBE-ROUTER-FORWARD -d ${POD}/32 -m comment --comment "${s.jumpIn}" -j ${POD_FW}`,
    `-A ${POD_FW} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    // Inserted at position 1 one policy after another (setupPodNetpolRules: -I ... 1).
    ...[...policies]
      .reverse()
      .map(([n, c]) => `-A ${POD_FW} -d ${POD}/32 -m comment --comment "${s.jumpPolicy(n)}" -j ${c}`),
    `-A ${POD_FW} -m comment --comment "${s.logDrop}" -m mark ! --mark 0x10000/0x10000 -j NFLOG --nflog-group 100`,
    `-A ${POD_FW} -m comment --comment "${s.reject}" -m mark ! --mark 0x10000/0x10000 -j REJECT`,
    `-A ${POD_FW} -j MARK --set-xmark 0x0/0x10000`,
    ...mark(
      FROM_FRONTEND,
      s.acceptPods('web-from-frontend'),
      '-m set --match-set KUBE-SRC-FRONTEND src -m set --match-set KUBE-DST-WEB dst -p udp -m udp --dport 8080',
    ),
    ...(withLanPolicy
      ? mark(
          FROM_LAN,
          s.acceptCidr('web-from-lan'),
          '-m set --match-set KUBE-SRC-LANBLOCK src -m set --match-set KUBE-DST-WEB dst',
        )
      : []),
    'COMMIT',
    '',
  ].join('\n');
}

const IPSETS = [
  'create KUBE-SRC-FRONTEND hash:ip family inet hashsize 1024 maxelem 65536 timeout 0',
  'add KUBE-SRC-FRONTEND 10.0.0.9 timeout 0',
  'create KUBE-DST-WEB hash:ip family inet hashsize 1024 maxelem 65536 timeout 0',
  `add KUBE-DST-WEB ${POD} timeout 0`,
  'create KUBE-SRC-LANBLOCK hash:net family inet hashsize 1024 maxelem 65536',
  'add KUBE-SRC-LANBLOCK 192.168.0.0/24',
  '',
].join('\n');

const topology = kubeRouterTopology({ ipsets: IPSETS });

describe("kube-router's NetworkPolicy chains: the kernel refuses, netcheck names the policy", { skip }, () => {
  const lab = sharedLab(topology, { prefix: 'kuberouter' });

  for (const s of SHAPES) {
    for (const withLan of [false, true]) {
      it(`${s.version} comments, ${withLan ? 'web-from-lan admits the LAN' : 'only web-from-frontend'}`, async () => {
        const l = lab();
        const restore = await l.exec('node', ['iptables-nft-restore'], { input: rules(s, withLan) });
        assert.equal(restore.code, 0, restore.stderr);
        await checkLanToWeb(l, withLan, s.jumpPolicy('web-from-frontend'));
      });
    }
  }
});
