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
import { analysisContext } from '../../src/checks/context.ts';
import { policiesBeforeDrop } from '../../src/checks/flow/calico-policy-drop.ts';
import { doctor } from '../../src/checks/queries/doctor.ts';
import { buildModel } from '../../src/model/model.ts';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND, type Snapshot } from '../../src/snapshot/types.ts';
import { traceRun } from '../helpers/queries.ts';
import { calicoNftObjects } from './calico-nft-objects.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import { dropHop, hookInput } from '../unit/netfilter/helpers.ts';
import { CALICO_DENIED_FORWARD, CALICO_IFACES, CALICO_NFT_ROWS } from '../unit/netfilter/nft-rows.ts';
import { mismatches } from '../unit/netfilter/packet-table.ts';
import { calicoPod, lanHost, link, mergeLabs, node, withLab, type Lab } from './harness/index.ts';
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

test("felix's nftables table: the kernel and the engine agree on every row", (t) =>
  withLab(t, topology, { prefix: 'calinft' }, async (lab) => {
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
    // Policy names: the drop at the end of web-0's tier names default/web-8080 from the table the
    // kernel holds, read back as the probe reads it.
    const denied = evaluateHook(state.iptables, CALICO_DENIED_FORWARD, env, state.nft);
    assert.equal(denied.length, 1);
    const refs = policiesBeforeDrop(state, dropHop('node', denied[0]!));
    assert.deepEqual(
      refs.map((r) => `${r.kind} ${r.namespace}/${r.name} ${r.direction}`),
      ['KubernetesNetworkPolicy default/web-8080 ingress'],
    );
    // The whole walk over a snapshot of this node and the cluster's objects: the admitted flow is
    // delivered, the denied one dropped and named after its NetworkPolicy.
    const snap: Snapshot = {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: SNAPSHOT_KIND,
      capturedAt: new Date(0).toISOString(),
      objects: calicoNftObjects(PODS),
      hosts: { node: await lab.probe('node') },
    };
    const ctx = analysisContext(buildModel(snap));
    assert.equal(ctx.flavour.dataplane?.value, 'nftables');
    // Healthy defaults stay quiet: felix's own table gives doctor nothing to say.
    const audit = doctor(ctx);
    assert.deepEqual(
      audit.findings.map((f) => `${f.id}: ${f.summary}`),
      [],
    );
    assert.ok(audit.notes.some((n) => /calico dataplane nftables: nftables table ip calico on node/.test(n)));
    const admitted = traceRun('default/client-0', 'default/web-0', 8080, 'tcp')(ctx);
    assert.ok(
      admitted.traces.some((tr) => tr.direction === 'forward' && tr.verdict === 'delivered'),
      JSON.stringify(admitted.traces.map((tr) => [tr.direction, tr.verdict])),
    );
    const refused = traceRun('default/client-0', 'default/web-0', 9090, 'tcp')(ctx);
    const drop = refused.findings.find((f) => f.id === 'netfilter-drop');
    assert.match(
      drop?.summary ?? JSON.stringify(refused.findings),
      /no rule of KubernetesNetworkPolicy default\/web-8080/,
    );
    t.diagnostic(`trace client-0 → web-0:9090: ${drop?.summary}`);
    // `fib saddr . mark . iif`: the lookup carries the mark felix's raw chain sets on cali*
    // (0x80000). With a policy rule that sends that mark to a table routing 192.168.7.99 to
    // client-0's device, the spoofed source passes felix's RPF check: kernel and engine alike.
    const spoofed = {
      name: 'spoofed source with a marked route back',
      in: CALICO_IFACES.client,
      out: CALICO_IFACES.other,
      packet: { src: '192.168.7.99', dst: '192.168.7.3', dport: 9090 },
      want: '',
    };
    for (const cmd of [
      'ip rule add fwmark 0x80000/0x80000 lookup 100 priority 100',
      `ip route add 192.168.7.99/32 dev ${CALICO_IFACES.client} table 100`,
    ]) {
      const r = await lab.exec('node', cmd.split(' '));
      assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    }
    const marked = buildHostState('node', await lab.probe('node'));
    assert.deepEqual(mismatches(marked.iptables, netfilterEnv(buildHostNet(marked)), spoofed, marked.nft), []);
    await lab.exec('node', ['conntrack', '-F']);
    assert.deepEqual(await kernelAgrees(lab, spoofed, hostOf), []);
    // After the rows (the lab's listener holds UDP 4789, so the device uses 4790; no outer packet
    // is sent here): felix's VXLAN device and a route to another node's block through it (routes as felix's
    // route table writes them: onlink via the peer's tunnel address).
    for (const cmd of [
      'ip link add vxlan.calico type vxlan id 4096 dstport 4790 dev eth0',
      'ip addr add 192.168.7.192/32 dev vxlan.calico',
      'ip link set vxlan.calico up',
      'ip route add 192.168.8.0/26 via 192.168.8.0 dev vxlan.calico onlink',
    ]) {
      const r = await lab.exec('node', cmd.split(' '));
      assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
    }
    const tunnel = buildHostState('node', await lab.probe('node'));
    const tunnelEnv = netfilterEnv(buildHostNet(tunnel));
    // felix's VXLAN MASQUERADE (`fib saddr . oif type != local fib saddr type local`): the node's
    // own traffic into the tunnel from another of its addresses is masqueraded, from the tunnel's
    // address it is not. The kernel's counter against the engine's POSTROUTING.
    const tunnelMasq = async (): Promise<number> => {
      const out = await lab.exec('node', ['nft', 'list', 'chain', 'ip', 'calico', 'nat-cali-POSTROUTING']);
      return Number(/oifname "vxlan\.calico" .* counter packets (\d+)/.exec(out.stdout)?.[1] ?? Number.NaN);
    };
    for (const [src, masq] of [
      ['10.128.0.212', true],
      ['192.168.7.192', false],
    ] as const) {
      const before = await tunnelMasq();
      await lab.exec('node', ['ping', '-c', '1', '-W', '1', '-I', src, '192.168.8.1']);
      assert.equal((await tunnelMasq()) - before, masq ? 1 : 0, `kernel, from ${src}`);
      const o = evaluateHook(
        tunnel.iptables,
        hookInput({
          hook: 'POSTROUTING',
          out: 'vxlan.calico',
          packet: { src, dst: '192.168.8.1', proto: 'icmp', icmpType: 8 },
        }),
        tunnelEnv,
        tunnel.nft,
      );
      assert.equal(
        o.some((x) => x.steps.some((st) => /MASQUERADE/.test(st.action))),
        masq,
        `engine, from ${src}`,
      );
    }
    // The spoofed row was dropped by felix's RPF rule itself (rp_filter is 0 on the lab's node).
    const raw = await lab.exec('node', ['nft', 'list', 'chain', 'ip', 'calico', 'raw-cali-PREROUTING']);
    const rpf = /fib saddr \. mark \. iif oif 0 counter packets (\d+)/.exec(raw.stdout);
    t.diagnostic(`${CALICO_NFT_ROWS.length} rows walked by the engine and sent through the kernel`);
    assert.deepEqual(failures, []);
    assert.ok(Number(rpf?.[1] ?? 0) > 0, `felix's RPF rule counted no packet:\n${raw.stdout}`);
  }));
