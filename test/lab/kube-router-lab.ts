// What kube-router's two NetworkPolicy lab tests share (kube-router-policy.test.ts: iptables;
// kube-router-nft-policy.test.ts: nftables): one node with web-0 on its bridge and a LAN host,
// the policy chain names, and the check that a LAN packet to web-0 does in the kernel what the
// engine says, and that netcheck names the policy when it is refused.
import assert from 'node:assert/strict';
import type { AnalysisContext } from '../../src/checks/context.ts';
import { findingFromTrace } from '../../src/checks/flow/from-trace.ts';
import { explainPolicyDrop } from '../../src/checks/flow/policy-drop.ts';
import { traceFlow } from '../../src/engine/flow.ts';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import type { World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import type { HostState } from '../../src/model/types.ts';
import { observationOf } from './differential/compare.ts';
import { bridgePod, lanHost, link, mergeLabs, node } from './harness/index.ts';
import type { HostOptions, Lab, RunningLab } from './harness/index.ts';

export const POD = '10.0.0.2';
export const LAN = '192.168.0.50';
export const POD_FW = 'KUBE-POD-FW-NTBE4GQD2YXNQRZM';
export const FROM_FRONTEND = 'KUBE-NWPLCY-DCXSNBA5SDTHRFOL';
export const FROM_LAN = 'KUBE-NWPLCY-6MJEZ6BCSPQKZWBG';

export function kubeRouterTopology(nodeOptions: HostOptions): Lab {
  return mergeLabs(
    node('node', nodeOptions),
    lanHost('lan', { routes: ['10.0.0.0/24 via 192.168.0.2 dev eth0'] }),
    link({ host: 'lan', dev: 'eth0', addr: `${LAN}/24` }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
    bridgePod({ name: 'web', node: 'node', addr: `${POD}/24`, gateway: '10.0.0.1/24' }),
  );
}

/**
 * lan → web-0 udp/8080 with the node's rules loaded: delivered when web-from-lan admits the LAN,
 * else rejected by kernel and engine, and netcheck names default/web-from-frontend, quoting the
 * pod chain's jump whose text contains `jumpEvidence`. Returns the node as the probe read it.
 */
export async function checkLanToWeb(l: RunningLab, withLan: boolean, jumpEvidence: string): Promise<HostState> {
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
  assert.equal(t.verdict, withLan ? 'delivered' : 'rejected', JSON.stringify(t.hops, null, 1));
  if (withLan) return state;
  const f = findingFromTrace(t, 'lan → default/web-0 udp/8080')!;
  const ctx = { model: { hosts: new Map([['node', state]]) } } as unknown as AnalysisContext;
  const named = explainPolicyDrop(ctx, f, t);
  assert.match(
    named.summary,
    /no rule of KubernetesNetworkPolicy default\/web-from-frontend \(kube-router chain KUBE-NWPLCY-DCXSNBA5SDTHRFOL\) allows it$/,
  );
  assert.ok(
    named.evidence.some((e) => e.includes(jumpEvidence)),
    named.evidence.join('\n'),
  );
  assert.match(named.fix, /kubectl -n default edit networkpolicy web-from-frontend/);
  return state;
}
