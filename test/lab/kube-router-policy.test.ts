// kube-router's NetworkPolicy chains through the kernel: a node with a pod on cni0 and a LAN host,
// the filter rules kube-router writes for one ingress policy on the pod (pod.go, policy.go: the
// pod chain KUBE-POD-FW-*, one policy chain KUBE-NWPLCY-* that marks 0x10000, the REJECT of
// unmarked traffic), in the comment shapes of v2.10 and of v2.11+ (comments.go). They are loaded
// with iptables-nft-restore and read back by the real probe. A LAN host the policy does not
// admit is refused by the kernel and by the engine, and netcheck names the policy from the chain
// the pod's chain jumped to; with a second policy admitting the LAN's ipBlock both deliver.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisContext } from '../../src/checks/context.ts';
import { findingFromTrace } from '../../src/checks/flow/from-trace.ts';
import { explainPolicyDrop } from '../../src/checks/flow/policy-drop.ts';
import { traceFlow } from '../../src/engine/flow.ts';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import { observationOf } from './differential/compare.ts';
import { bridgePod, labUnsupportedReason, lanHost, link, mergeLabs, node, sharedLab } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;
const POD = '10.0.0.2';
const LAN = '192.168.0.50';
const POD_FW = 'KUBE-POD-FW-NTBE4GQD2YXNQRZM';
const FROM_FRONTEND = 'KUBE-NWPLCY-DCXSNBA5SDTHRFOL';
const FROM_LAN = 'KUBE-NWPLCY-6MJEZ6BCSPQKZWBG';

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

const topology = mergeLabs(
  node('node', { ipsets: IPSETS }),
  lanHost('lan', { routes: ['10.0.0.0/24 via 192.168.0.2 dev eth0'] }),
  link({ host: 'lan', dev: 'eth0', addr: `${LAN}/24` }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
  bridgePod({ name: 'web', node: 'node', addr: `${POD}/24`, gateway: '10.0.0.1/24' }),
);

describe("kube-router's NetworkPolicy chains: the kernel refuses, netcheck names the policy", { skip }, () => {
  const lab = sharedLab(topology, { prefix: 'kuberouter' });

  for (const s of SHAPES) {
    for (const withLan of [false, true]) {
      it(`${s.version} comments, ${withLan ? 'web-from-lan admits the LAN' : 'only web-from-frontend'}`, async () => {
        const l = lab();
        const restore = await l.exec('node', ['iptables-nft-restore'], { input: rules(s, withLan) });
        assert.equal(restore.code, 0, restore.stderr);
        await l.exec('node', ['conntrack', '-F']);
        const sent = await l.send({ from: 'lan', dst: POD, proto: 'udp', dport: 8080 });
        const kernel = observationOf(sent, 'udp', POD);
        assert.equal(kernel.forwardDelivered, withLan, JSON.stringify(sent));

        const state = buildHostState('node', await l.probe('node'));
        const world: World = {
          hosts: new Map([['node', buildHostNet(state)]]),
          pods: [{ name: 'default/web-0', ip: parseIpv4(POD)!, node: 'node' }],
          externals: [{ name: 'lan', ip: parseIpv4(LAN)! }],
        };
        const [r] = traceFlow(
          world,
          { evaluate: evaluateHook },
          { kind: 'external', external: world.externals[0]! },
          {
            src: parseIpv4(LAN)!,
            dst: parseIpv4(POD)!,
            proto: 'udp',
            sport: 40000,
            dport: 8080,
            mark: 0,
            connmark: 0,
            length: 84,
          },
        );
        const t = r!.forward;
        assert.equal(t.verdict === 'delivered', withLan, JSON.stringify(t.hops, null, 1));
        if (withLan) return;
        assert.equal(t.verdict, 'rejected');
        const f = findingFromTrace(t, 'lan → default/web-0 udp/8080')!;
        const ctx = { model: { hosts: new Map([['node', state]]) } } as unknown as AnalysisContext;
        const named = explainPolicyDrop(ctx, f, t);
        assert.match(
          named.summary,
          /no rule of KubernetesNetworkPolicy default\/web-from-frontend \(kube-router chain KUBE-NWPLCY-DCXSNBA5SDTHRFOL\) allows it$/,
        );
        assert.ok(
          named.evidence.some((e) => e.includes(s.jumpPolicy('web-from-frontend'))),
          named.evidence.join('\n'),
        );
        assert.match(named.fix, /kubectl -n default edit networkpolicy web-from-frontend/);
      });
    }
  }
});
