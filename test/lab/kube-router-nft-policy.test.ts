// kube-router's NetworkPolicy controller in its nftables mode (--use-nftables-for-netpol, v2.11+,
// experimental) through the kernel: the table `ip kube-router-filter-ipv4` it writes for one
// ingress policy on a pod (netpol/npc_nftables.go at 7c2c2779: syncTopLevelChainsAtomic's hook
// chains KUBE-ROUTER-*, syncPodFirewallChains' KUBE-POD-FW-* chain, the policy chain's
// "mark or 0x10000 return" rules over its named sets, the common/default/tail chains), loaded
// with `nft -f` and read back by the real probe. A LAN host the policy does not admit is rejected
// by the kernel and by the engine, which walks the native table; with a second policy admitting
// the LAN's ipBlock both deliver; netcheck names the policy from the nft rules as from iptables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FROM_FRONTEND, FROM_LAN, POD, POD_FW, checkLanToWeb, kubeRouterTopology } from './kube-router-lab.ts';
import { labUnsupportedReason, sharedLab } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;

/** The table for web-0 (10.0.0.2), as npc_nftables.go writes it; web-from-lan optional. */
function ruleset(withLanPolicy: boolean): string {
  const policies = [
    ['web-from-frontend', FROM_FRONTEND],
    ...(withLanPolicy ? [['web-from-lan', FROM_LAN]] : []),
  ] as const;
  const top = (chain: string, hook: string, rules: string[]) => [
    `  chain ${chain} {`,
    `    comment "top level ${chain} chain for kube-router"`,
    `    type filter hook ${hook} priority filter; policy accept;`,
    ...rules.map((r) => `    ${r}`),
    '    counter jump KUBE-NWPLCY-TAIL comment "netpol accept/reject"',
    '    meta mark and 0x20000 == 0x20000 counter accept comment "accept netpol-ok"',
    '  }',
  ];
  const jumpOut = `ip saddr ${POD} counter jump ${POD_FW} comment "default/web-0 out"`;
  const jumpIn = `ip daddr ${POD} counter jump ${POD_FW} comment "default/web-0 in"`;
  return [
    'table ip kube-router-filter-ipv4 {',
    '  comment "rules for kube-router-filter-ipv4"',
    '  set KUBE-SRC-FRONTEND { type ipv4_addr; comment "netpol set"; elements = { 10.0.0.9 } }',
    `  set KUBE-DST-WEB { type ipv4_addr; comment "netpol set"; elements = { ${POD} } }`,
    '  set KUBE-SRC-LANBLOCK { type ipv4_addr; flags interval; comment "netpol ipblock set"; elements = { 192.168.0.0/24 } }',
    '  chain KUBE-NWPLCY-COMMON {',
    '    comment "KUBE-NWPLCY-COMMON chain for kube-router"',
    '    ct state invalid counter drop comment "drop invalid state"',
    '    ct state established,related counter accept comment "accept established/related"',
    '    icmp type echo-request counter accept comment "allow icmp echo-request messages"',
    '    icmp type destination-unreachable counter accept comment "allow icmp destination-unreachable messages"',
    '    icmp type time-exceeded counter accept comment "allow icmp time-exceeded messages"',
    '  }',
    '  chain KUBE-NWPLCY-DEFAULT {',
    '    comment "KUBE-NWPLCY-DEFAULT chain for kube-router"',
    '    counter meta mark set mark or 0x10000 comment "mark netpol match"',
    '  }',
    '  chain KUBE-NWPLCY-TAIL {',
    '    comment "KUBE-NWPLCY-TAIL chain for kube-router"',
    '    meta mark and 0x20000 == 0x20000 counter accept comment "accept netpol-ok"',
    '  }',
    `  chain ${FROM_FRONTEND} {`,
    '    comment "netpol default/web-from-frontend"',
    '    ip saddr @KUBE-SRC-FRONTEND ip daddr @KUBE-DST-WEB udp dport 8080 counter meta mark set meta mark or 0x10000 return comment "default/web-from-frontend ingress pods"',
    '  }',
    ...(withLanPolicy
      ? [
          `  chain ${FROM_LAN} {`,
          '    comment "netpol default/web-from-lan"',
          '    ip saddr @KUBE-SRC-LANBLOCK ip daddr @KUBE-DST-WEB counter meta mark set meta mark or 0x10000 return comment "default/web-from-lan ingress cidr"',
          '  }',
        ]
      : []),
    `  chain ${POD_FW} {`,
    '    comment "podfw default/web-0"',
    '    counter jump KUBE-NWPLCY-COMMON comment "common netpol rules"',
    `    fib saddr type local ip daddr ${POD} counter accept comment "from local node"`,
    ...policies.map(([n, c]) => `    ip daddr ${POD} counter jump ${c} comment "default/${n} policy"`),
    `    ip saddr ${POD} counter jump KUBE-NWPLCY-DEFAULT comment "default egress"`,
    '    meta mark and 0x10000 == 0x0 limit rate 10/minute burst 10 packets log group 100 comment "default/web-0 log-drop"',
    '    meta mark and 0x10000 == 0x0 counter reject comment "default/web-0 reject"',
    '    meta mark set meta mark and 0xfffeffff comment "clear netpol mark"',
    '    meta mark set meta mark or 0x20000 comment "set netpol-ok mark"',
    '  }',
    ...top('KUBE-ROUTER-INPUT', 'input', [
      'ip daddr 10.96.0.0/12 counter return comment "allow cluster IP range"',
      ...['tcp', 'udp', 'sctp'].map(
        (p) =>
          `meta l4proto ${p} fib daddr type local ${p} dport 30000-32767 counter return comment "allow ${p} nodeport"`,
      ),
      jumpOut,
    ]),
    ...top('KUBE-ROUTER-FORWARD', 'forward', [jumpIn, jumpOut]),
    ...top('KUBE-ROUTER-OUTPUT', 'output', [jumpIn, jumpOut]),
    '}',
    '',
  ].join('\n');
}

const topology = kubeRouterTopology({});

describe("kube-router's nftables NetworkPolicy table: the kernel and the engine agree", { skip }, () => {
  const lab = sharedLab(topology, { prefix: 'krnft' });

  for (const withLan of [false, true]) {
    it(withLan ? 'web-from-lan admits the LAN' : 'only web-from-frontend: the LAN is rejected', async () => {
      const l = lab();
      await l.exec('node', ['nft', 'flush', 'ruleset']);
      const load = await l.exec('node', ['nft', '-f', '-'], { input: ruleset(withLan) });
      assert.equal(load.code, 0, load.stderr);
      const state = await checkLanToWeb(l, withLan, 'comment "default/web-from-frontend policy"');
      assert.ok(
        state.nft?.tables.some((t) => t.name === 'kube-router-filter-ipv4'),
        'the probe read the table',
      );
    });
  }
});
