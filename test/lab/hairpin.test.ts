// Hairpin, with real packets: a pod on a bridge (cni0, as the bridge CNI plugin and flannel attach
// pods) reaches a Service whose only endpoint is itself. Every combination of kube-proxy's
// hairpin masquerade (KUBE-SEP `-s <endpoint>/32 -j KUBE-MARK-MASQ`), br_netfilter
// (net.bridge.bridge-nf-call-iptables) and the pod's bridge port hairpin flag is sent through the
// kernel, UDP and TCP, and the engine, from the node as the real probe reads it, must agree:
//   no masquerade: the pod answers itself inside its namespace (the client discards the answer);
//   masquerade, br_netfilter on, hairpin off: the bridge refuses to send the frame back out its
//   ingress port (br_forward.c should_deliver); masquerade otherwise: it works.
// The engine is also given the node without the pod's neighbour and fdb entries (only the flags
// of the bridge's ports say which port is the pod's) to show it then still decides, or says unknown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceFlow } from '../../src/engine/flow.ts';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import type { FlowResult } from '../../src/engine/trace.ts';
import type { World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import type { HostEntry } from '../../src/snapshot/types.ts';
import { compare, observationOf } from './differential/compare.ts';
import type { Observation } from './differential/compare.ts';
import { bridgePod, labUnsupportedReason, mergeLabs, node, sharedLab, vethName } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;
const POD = '10.0.0.2';
const OTHER = '10.0.0.3';
const CLUSTER_IP = '10.96.0.10';
const PORT = vethName('veth', 'pod');

/** kube-proxy's shape for a ClusterIP with one endpoint (pkg/proxy/iptables/proxier.go), the hairpin rule optional. */
function rules(masq: boolean): string {
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SEP-HAIRPIN000000 - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    `-A KUBE-SERVICES -d ${CLUSTER_IP}/32 -p udp -m comment --comment "default/self:udp cluster IP" -m udp --dport 80 -j KUBE-SEP-HAIRPIN000000`,
    `-A KUBE-SERVICES -d ${CLUSTER_IP}/32 -p tcp -m comment --comment "default/self:tcp cluster IP" -m tcp --dport 80 -j KUBE-SEP-HAIRPIN000000`,
    ...(masq ? [`-A KUBE-SEP-HAIRPIN000000 -s ${POD}/32 -m comment --comment "default/self" -j KUBE-MARK-MASQ`] : []),
    `-A KUBE-SEP-HAIRPIN000000 -p udp -m comment --comment "default/self" -m udp -j DNAT --to-destination ${POD}:8080`,
    `-A KUBE-SEP-HAIRPIN000000 -p tcp -m comment --comment "default/self" -m tcp -j DNAT --to-destination ${POD}:8080`,
    'COMMIT',
    '',
  ].join('\n');
}

const topology = mergeLabs(
  node('node'),
  bridgePod({ name: 'pod', node: 'node', addr: `${POD}/24`, gateway: '10.0.0.1/24' }),
  // A second pod on the bridge, its port always hairpin off: the bridge's ports then differ.
  bridgePod({ name: 'other', node: 'node', addr: `${OTHER}/24`, gateway: '10.0.0.1/24' }),
);

interface Case {
  masq: boolean;
  brnf: boolean;
  hairpin: boolean;
}
const CASES: Case[] = [false, true].flatMap((masq) =>
  [false, true].flatMap((brnf) => [false, true].map((hairpin) => ({ masq, brnf, hairpin }))),
);
const name = (c: Case) =>
  `masquerade ${c.masq ? 'on' : 'off'}, bridge-nf-call-iptables ${c.brnf ? 1 : 0}, hairpin ${c.hairpin ? 'on' : 'off'}`;

function worldOf(entry: HostEntry): World {
  return {
    hosts: new Map([['node', buildHostNet(buildHostState('node', entry))]]),
    pods: [
      { name: 'default/pod', ip: parseIpv4(POD)!, node: 'node' },
      { name: 'default/other', ip: parseIpv4(OTHER)!, node: 'node' },
    ],
    externals: [],
  };
}

/** The node's snapshot entry without its neighbour and fdb entries for the pod. */
function withoutPodEntries(e: HostEntry): HostEntry {
  const drop = (section: string, keep: (x: Record<string, unknown>) => boolean): string => {
    const rows = JSON.parse(e.sections[section] ?? '[]') as Record<string, unknown>[];
    return JSON.stringify(rows.filter(keep));
  };
  return {
    ...e,
    sections: {
      ...e.sections,
      'ip-neigh': drop('ip-neigh', (x) => x['dst'] !== POD),
      'bridge-fdb': drop(
        'bridge-fdb',
        (x) => x['ifname'] !== PORT || x['master'] === undefined || x['state'] === 'permanent',
      ),
    },
  };
}

function engineSays(world: World, proto: 'udp' | 'tcp'): { obs: Observation; results: FlowResult[] } {
  const pod = world.pods[0]!;
  const results = traceFlow(
    world,
    { evaluate: evaluateHook },
    { kind: 'pod', pod },
    {
      src: pod.ip,
      dst: parseIpv4(CLUSTER_IP)!,
      proto,
      sport: 40000,
      dport: 80,
      mark: 0,
      connmark: 0,
      length: 84,
    },
  );
  const r = results[0]!;
  const obs: Observation = {
    forwardDelivered: r.forward.verdict === 'delivered',
    replyDelivered: r.reply?.verdict === 'delivered',
  };
  if (r.forward.verdict === 'unknown' || r.reply?.verdict === 'unknown') obs.unknown = true;
  if (obs.forwardDelivered) {
    obs.receivedBy = r.forward.deliveredTo === 'pod default/pod' ? 'pod' : r.forward.deliveredTo;
    if (r.forward.seenAs !== undefined) obs.seenSrc = r.forward.seenAs.src;
  }
  return { obs, results };
}

function show(results: FlowResult[]): string {
  return results
    .flatMap((r) => [r.forward, ...(r.reply ? [r.reply] : [])])
    .map((t) => `${t.direction} ${t.verdict}\n${t.hops.map((h) => `  ${h.node} ${h.step}: ${h.detail}`).join('\n')}`)
    .join('\n');
}

describe('hairpin: a pod reaching itself through its Service on a bridge', { skip }, () => {
  const lab = sharedLab(topology, { prefix: 'hairpin' });

  for (const c of CASES) {
    it(name(c), async () => {
      const l = lab();
      await l.exec('node', ['sysctl', '-qw', `net.bridge.bridge-nf-call-iptables=${c.brnf ? 1 : 0}`]);
      await l.exec('node', ['bridge', 'link', 'set', 'dev', PORT, 'hairpin', c.hairpin ? 'on' : 'off']);
      const restore = await l.exec('node', ['iptables-nft-restore'], { input: rules(c.masq) });
      assert.equal(restore.code, 0, restore.stderr);
      // The engine reads the node as the probe does: entries learnt from the pod's earlier packets included.
      const kernel: Record<string, Observation> = {};
      for (const proto of ['udp', 'tcp'] as const) {
        await l.exec('node', ['conntrack', '-F']);
        const s = await l.send({ from: 'pod', dst: CLUSTER_IP, proto, dport: 80, listen: [8080] });
        kernel[proto] = observationOf(s, proto, CLUSTER_IP);
      }
      const works = c.masq && (!c.brnf || c.hairpin);
      assert.equal(kernel['udp']!.replyDelivered, works, `kernel udp: ${JSON.stringify(kernel['udp'])}`);
      assert.equal(kernel['tcp']!.replyDelivered, works, `kernel tcp: ${JSON.stringify(kernel['tcp'])}`);
      const entry = await l.probe('node');
      for (const [label, e] of [
        ['probed', entry],
        ["without the pod's neighbour and fdb entries", withoutPodEntries(entry)],
      ] as const) {
        const world = worldOf(e);
        for (const proto of ['udp', 'tcp'] as const) {
          const { obs, results } = engineSays(world, proto);
          // Bridged back to its ingress port: br_netfilter's DNAT, with or without masquerade.
          const refused = c.brnf && !c.hairpin;
          // Without the entries the ports differ (the other pod's is off): only a bridged frame,
          // which depends on the pod's own port, is left undecided.
          if (label !== 'probed' && c.brnf && c.hairpin) {
            assert.equal(obs.unknown, true, `${label} ${proto}: ${show(results)}`);
            continue;
          }
          assert.deepEqual(
            compare(kernel[proto]!, obs, proto),
            [],
            `${label} ${proto}: kernel ${JSON.stringify(kernel[proto])}\n${show(results)}`,
          );
          const t = results[0]!;
          const decisive = t.forward.decisive ?? t.reply?.decisive;
          if (refused) assert.equal(decisive?.reason?.kind, 'hairpin-off', show(results));
          if (!c.masq && (!c.brnf || c.hairpin))
            assert.equal(decisive?.reason?.kind, 'hairpin-no-masquerade', show(results));
        }
      }
    });
  }
});
