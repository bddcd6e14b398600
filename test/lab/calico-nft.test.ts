// Calico's nftables dataplane on a real kernel: felix's real table `ip calico` (its FV tests' dump)
// and the workload endpoints and NetworkPolicy felix's renderer would add for these pods
// (test/fixtures/netfilter/felix-nft.ts) loaded with `nft -f` into a node wired as Calico's CNI
// plugin wires pods. The node is read back as the probe reads it, the engine walks every row of
// CALICO_NFT_ROWS over that reading, and each row is sent as a real connection. Engine, kernel and
// table must agree.
//
//   lan 10.128.0.1 ── eth0 node 10.128.0.212 ── cali* ── client-0 192.168.7.1 (+ .99 on lo),
//                                                        web-0 192.168.7.2, other-0 192.168.7.3
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { netfilterEnv } from '../../src/engine/netfilter-env.ts';
import { buildHostState } from '../../src/model/host.ts';
import { CALICO_IFACES, CALICO_NFT_ROWS } from '../unit/netfilter/nft-rows.ts';
import { mismatches } from '../unit/netfilter/packet-table.ts';
import {
  calicoPod,
  labUnsupportedReason,
  lanHost,
  link,
  mergeLabs,
  node,
  startLab,
  type Lab,
} from './harness/index.ts';
import { kernelAgrees } from './rule-rows.ts';

const input = (f: string): string => readFileSync(new URL(`../fixtures/netfilter/input/${f}`, import.meta.url), 'utf8');

const PODS = { 'client-0': '192.168.7.1', 'web-0': '192.168.7.2', 'other-0': '192.168.7.3' } as const;
const IFACE = { 'client-0': CALICO_IFACES.client, 'web-0': CALICO_IFACES.web, 'other-0': CALICO_IFACES.other };

const topology: Lab = mergeLabs(
  node('node', { routes: ['default via 10.128.0.1 dev eth0'] }),
  lanHost('lan', { routes: ['192.168.0.0/16 via 10.128.0.212 dev eth0'] }),
  link({ host: 'lan', dev: 'eth0', addr: '10.128.0.1/24' }, { host: 'node', dev: 'eth0', addr: '10.128.0.212/24' }),
  ...Object.entries(PODS).map(([name, ip]) =>
    calicoPod({
      name,
      node: 'node',
      ip,
      hostIf: IFACE[name as keyof typeof IFACE],
      // An address the node routes elsewhere, to send spoofed packets from.
      ...(name === 'client-0' ? { pod: { addresses: ['192.168.7.99/32 dev lo'] } } : {}),
    }),
  ),
);

function hostOf(addr: string): string | undefined {
  if (addr === '192.168.7.99') return 'client-0';
  const pod = Object.entries(PODS).find(([, ip]) => ip === addr)?.[0];
  if (pod !== undefined) return pod;
  return addr === '10.128.0.1' ? 'lan' : addr === '10.128.0.212' ? 'node' : undefined;
}

test("felix's nftables table: the kernel and the engine agree on every row", async (t) => {
  const unsupported = await labUnsupportedReason();
  if (unsupported !== undefined) {
    t.skip(unsupported);
    return;
  }
  const lab = await startLab(topology, { prefix: 'calinft' });
  try {
    for (const f of ['calico-nftables.nft', 'calico-nftables-workloads.nft']) {
      const load = await lab.exec('node', ['nft', '-f', '-'], { input: input(f) });
      assert.equal(load.code, 0, `${f}: ${load.stderr}`);
    }
    const state = buildHostState('node', await lab.probe('node'));
    assert.ok(state.nft !== undefined, 'the probe read the nftables ruleset');
    const env = netfilterEnv(buildHostNet(state));
    const failures: string[] = [];
    for (const row of CALICO_NFT_ROWS) {
      const engine = mismatches(state.iptables, env, row, state.nft);
      if (engine.length > 0) failures.push(`${row.name}: engine:\n  ${engine.join('\n  ')}`);
      await lab.exec('node', ['conntrack', '-F']);
      const kernel = await kernelAgrees(lab, row, hostOf);
      if (kernel.length > 0) failures.push(`${row.name}:\n  ${kernel.join('\n  ')}`);
    }
    // The spoofed row was dropped by felix's RPF rule itself (rp_filter is 0 on the lab's node).
    const raw = await lab.exec('node', ['nft', 'list', 'chain', 'ip', 'calico', 'raw-cali-PREROUTING']);
    const rpf = /fib saddr \. mark \. iif oif 0 counter packets (\d+)/.exec(raw.stdout);
    t.diagnostic(`${CALICO_NFT_ROWS.length} rows walked by the engine and sent through the kernel`);
    assert.deepEqual(failures, []);
    assert.ok(Number(rpf?.[1] ?? 0) > 0, `felix's RPF rule counted no packet:\n${raw.stdout}`);
  } finally {
    await lab.stop();
  }
});
