// Forwarding off (net.ipv4.ip_forward = 0) on a node whose pods sit on a bridge: what still gets
// through, measured against the kernel. A frame between two pods of one bridge is bridged, never
// routed, so forwarding does not matter (br_handle_frame_finish; with br_netfilter it still
// passes iptables PREROUTING, FORWARD and POSTROUTING). A frame DNATed in br_netfilter's
// PREROUTING is routed with ip_route_input, which fails without forwarding, and then kept on the
// bridge when the output route of its new destination leaves by that bridge
// (net/bridge/br_netfilter_hooks.c br_nf_pre_routing_finish, "Bridged-and-DNAT'ed traffic doesn't
// require ip_forwarding"); to anywhere else it is dropped. Without br_netfilter the Service is
// reached through the node's IP stack, and forwarding off drops it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHostNet } from '../../src/engine/host-net.ts';
import type { World } from '../../src/engine/world.ts';
import { parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import { compare, observationOf } from './differential/compare.ts';
import { podFlow, showFlow } from './pod-flow.ts';
import type { Observation } from './differential/compare.ts';
import {
  bridgePod,
  labUnsupportedReason,
  lanHost,
  link,
  mergeLabs,
  node,
  sharedLab,
  vethName,
} from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;
const POD = '10.0.0.2';
const OTHER = '10.0.0.3';
const LAN = '192.168.0.50';
const TO_OTHER = '10.96.0.10';
const TO_SELF = '10.96.0.11';
const TO_LAN = '10.96.0.12';

/** kube-proxy's shape (pkg/proxy/iptables/proxier.go): three ClusterIPs, one endpoint each, masquerading the hairpin. */
function rules(): string {
  const svc = (ip: string, name: string, ep: string) => [
    `-A KUBE-SERVICES -d ${ip}/32 -p udp -m comment --comment "default/${name}:udp cluster IP" -m udp --dport 80 -j KUBE-SEP-${name.toUpperCase()}`,
    `-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "default/${name}:tcp cluster IP" -m tcp --dport 80 -j KUBE-SEP-${name.toUpperCase()}`,
    `-A KUBE-SEP-${name.toUpperCase()} -s ${ep}/32 -m comment --comment "default/${name}" -j KUBE-MARK-MASQ`,
    `-A KUBE-SEP-${name.toUpperCase()} -p udp -m comment --comment "default/${name}" -m udp -j DNAT --to-destination ${ep}:8080`,
    `-A KUBE-SEP-${name.toUpperCase()} -p tcp -m comment --comment "default/${name}" -m tcp -j DNAT --to-destination ${ep}:8080`,
  ];
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SEP-OTHER - [0:0]',
    ':KUBE-SEP-SELF - [0:0]',
    ':KUBE-SEP-LAN - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ...svc(TO_OTHER, 'other', OTHER),
    ...svc(TO_SELF, 'self', POD),
    ...svc(TO_LAN, 'lan', LAN),
    'COMMIT',
    '',
  ].join('\n');
}

const topology = mergeLabs(
  node('node', { iptables: rules() }),
  bridgePod({ name: 'pod', node: 'node', addr: `${POD}/24`, gateway: '10.0.0.1/24' }),
  bridgePod({ name: 'other', node: 'node', addr: `${OTHER}/24`, gateway: '10.0.0.1/24' }),
  lanHost('lan', { routes: ['10.0.0.0/24 via 192.168.0.2'] }),
  link({ host: 'lan', dev: 'eth0', addr: `${LAN}/24` }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
  node('node', { commands: [['bridge', 'link', 'set', 'dev', vethName('veth', 'pod'), 'hairpin', 'on']] }),
);

function worldOf(entry: Parameters<typeof buildHostState>[1]): World {
  return {
    hosts: new Map([['node', buildHostNet(buildHostState('node', entry))]]),
    pods: [
      { name: 'default/pod', ip: parseIpv4(POD)!, node: 'node' },
      { name: 'default/other', ip: parseIpv4(OTHER)!, node: 'node' },
    ],
    externals: [{ name: 'lan', ip: parseIpv4(LAN)!, entry: { host: 'node', dev: 'eth0' } }],
  };
}

interface Case {
  forward: 0 | 1;
  brnf: 0 | 1;
  /** Docker's FORWARD policy DROP (the filter table), which a bridged frame meets only with br_netfilter. */
  forwardPolicy: 'ACCEPT' | 'DROP';
  dst: string;
  what: string;
}
const DESTS = [
  [OTHER, 'the other pod directly'],
  [TO_OTHER, 'a Service whose endpoint is the other pod'],
  [TO_SELF, 'a Service whose endpoint is itself (hairpin on)'],
  [TO_LAN, 'a Service whose endpoint is off the bridge'],
] as const;
const CASES: Case[] = [
  ...([0, 1] as const).flatMap((forward) =>
    ([0, 1] as const).flatMap((brnf) =>
      DESTS.map(([dst, what]) => ({ forward, brnf, forwardPolicy: 'ACCEPT' as const, dst, what })),
    ),
  ),
  ...([0, 1] as const).map((brnf) => ({
    forward: 1 as const,
    brnf,
    forwardPolicy: 'DROP' as const,
    dst: OTHER,
    what: DESTS[0][1],
  })),
];

describe('a node with pods on a bridge: forwarding, br_netfilter and FORWARD policy (measured)', { skip }, () => {
  const lab = sharedLab(topology, { prefix: 'brfwd' });
  for (const c of CASES) {
    const { brnf, dst } = c;
    it(`ip_forward ${c.forward}, bridge-nf-call-iptables ${brnf}, FORWARD policy ${c.forwardPolicy}: the pod to ${c.what}`, async (t) => {
      const l = lab();
      await l.exec('node', ['sysctl', '-qw', `net.ipv4.ip_forward=${c.forward}`]);
      await l.exec('node', ['sysctl', '-qw', `net.bridge.bridge-nf-call-iptables=${brnf}`]);
      await l.exec('node', ['iptables-nft', '-P', 'FORWARD', c.forwardPolicy]);
      const kernel: Record<string, Observation> = {};
      for (const proto of ['udp', 'tcp'] as const) {
        await l.exec('node', ['conntrack', '-F']);
        const s = await l.send({ from: 'pod', dst, proto, dport: dst === OTHER ? 8080 : 80, listen: [8080] });
        kernel[proto] = observationOf(s, proto, dst);
      }
      const world = worldOf(await l.probe('node'));
      const out: string[] = [];
      for (const proto of ['udp', 'tcp'] as const) {
        const { obs, results } = podFlow(world, world.pods[0]!, dst, proto, dst === OTHER ? 8080 : 80);
        const diff = compare(kernel[proto]!, obs, proto);
        out.push(
          `${proto}: kernel ${JSON.stringify(kernel[proto])} engine ${JSON.stringify(obs)}${diff.length > 0 ? `\n${showFlow(results)}` : ''}`,
        );
        assert.deepEqual(diff, [], out.join('\n'));
      }
      t.diagnostic(out.join('; '));
    });
  }
});
