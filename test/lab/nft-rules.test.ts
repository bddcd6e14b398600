// Native nftables rulesets on a real kernel: kube-proxy's nftables mode and firewalld's nftables
// backend loaded into a node namespace with `nft -f`, dumped back with `nft -j list ruleset` (what
// the probe collects), and every row of their packet tables (test/unit/netfilter/nft-rows.ts)
// both walked by the engine over that dump and sent as a real TCP connection. Engine, kernel and
// table must agree.
//
//   lan 192.168.0.50 (+ 203.0.113.x) ── eth0 node 192.168.0.2 (lo 192.168.1.2)
//                                          cni0 10.0.0.1/8 ── pod 10.0.0.2, endpoints 10.180.0.x
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { netfilterEnv } from '../../src/engine/netfilter-env.ts';
import { buildHostState } from '../../src/model/host.ts';
import { evaluateHook } from '../../src/engine/netfilter/evaluate.ts';
import { parseNftJson } from '../../src/model/parse/nft.ts';
import { host, hookInput } from '../unit/netfilter/helpers.ts';
import { kernelAgrees } from './rule-rows.ts';
import {
  FIB_PKTTYPE_ROWS,
  FIREWALLD_PUBLIC_ROWS,
  FIREWALLD_TRUSTED_ROWS,
  KUBE_PROXY_NFT_ROWS,
} from '../unit/netfilter/nft-rows.ts';
import { type FlowRow, mismatches } from '../unit/netfilter/packet-table.ts';
import {
  bridgePod,
  lanHost,
  link,
  mergeLabs,
  node,
  withLab,
  hairpinPorts,
  type Lab,
  type RunningLab,
} from './harness/index.ts';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/netfilter/${p}`, import.meta.url), 'utf8');

const ENDPOINTS = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4', '10.180.0.5'];
// 10.99.0.1: a source the node routes to cni0 (its 10.0.0.0/8), for reverse-path checks.
const LAN = ['192.168.0.50', '203.0.113.2', '203.0.113.130', '10.99.0.1'];

const topology: Lab = mergeLabs(
  node('node', {
    addresses: ['192.168.1.2/32 dev lo'],
    routes: ['default via 192.168.0.50 dev eth0'],
  }),
  lanHost('lan', {
    addresses: LAN.filter((a) => a !== '192.168.0.50').map((a) => `${a}/32 dev lo`),
    routes: ['default via 192.168.0.2 dev eth0'],
  }),
  link({ host: 'lan', dev: 'eth0', addr: '192.168.0.50/24' }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
  bridgePod({ name: 'pod', node: 'node', addr: '10.0.0.2/8', gateway: '10.0.0.1/8' }),
  ...ENDPOINTS.map((ip, i) => bridgePod({ name: `ep${i + 1}`, node: 'node', addr: `${ip}/8`, gateway: '10.0.0.1/8' })),
  hairpinPorts(
    'node',
    ENDPOINTS.map((_, i) => `ep${i + 1}`),
  ),
);

/** The node as the engine sees it: its addresses by device. */
const ENV = host({ addrs: { eth0: ['192.168.0.2'], cni0: ['10.0.0.1'], lo: ['127.0.0.1', '192.168.1.2'] } });

function hostOf(addr: string): string | undefined {
  if (addr === '10.0.0.2') return 'pod';
  const ep = ENDPOINTS.indexOf(addr);
  if (ep >= 0) return `ep${ep + 1}`;
  if (LAN.includes(addr)) return 'lan';
  if (addr === '192.168.0.2' || addr === '192.168.1.2') return 'node';
  return undefined;
}

interface Suite {
  name: string;
  /** `nft -f` input. */
  ruleset: string;
  rows: readonly FlowRow[];
  /** The engine reads the node as the probe does (its routes decide `fib`), not the static ENV. */
  probed?: true;
}

const SUITES: Suite[] = [
  { name: 'kube-proxy nftables mode', ruleset: fixture('input/kube-proxy-nftables.nft'), rows: KUBE_PROXY_NFT_ROWS },
  // firewalld's own ruleset as `nft -a list ruleset` printed it (handles are comments to nft -f).
  { name: 'firewalld public zone', ruleset: fixture('output/firewalld-public.nft-a.txt'), rows: FIREWALLD_PUBLIC_ROWS },
  {
    name: 'firewalld with the pod network trusted',
    ruleset: fixture('output/firewalld-trusted-pods.nft-a.txt').replaceAll('10.244.0.0/16', '10.0.0.0/8'),
    rows: FIREWALLD_TRUSTED_ROWS,
  },
  { name: 'fib and meta pkttype', ruleset: fixture('input/nft-fib-pkttype.nft'), rows: FIB_PKTTYPE_ROWS, probed: true },
];

/** Packets of one rule's counter in table ip rpf (nft-fib-pkttype.nft), by the rule's text. */
async function rpfCounter(lab: RunningLab, match: RegExp): Promise<number> {
  const out = await lab.exec('node', ['nft', 'list', 'table', 'ip', 'rpf']);
  const line = out.stdout.split('\n').find((l) => match.test(l)) ?? '';
  return Number(/counter packets (\d+)/.exec(line)?.[1] ?? Number.NaN);
}

test('the kernel and the engine do what the nftables tables say', (t) =>
  withLab(t, topology, { prefix: 'nftrules' }, async (lab) => {
    for (const suite of SUITES) {
      await t.test(suite.name, async (st) => {
        await lab.exec('node', ['nft', 'flush', 'ruleset']);
        const load = await lab.exec('node', ['nft', '-f', '-'], { input: suite.ruleset });
        assert.equal(load.code, 0, load.stderr);
        const dump = await lab.exec('node', ['nft', '-j', 'list', 'ruleset']);
        const parsed = parseNftJson(dump.stdout);
        assert.deepEqual(parsed.warnings, []);
        const env = suite.probed ? netfilterEnv(buildHostNet(buildHostState('node', await lab.probe('node')))) : ENV;
        const failures: string[] = [];
        let sent = 0;
        for (const row of suite.rows) {
          const engine = mismatches([], env, row, parsed.value);
          if (engine.length > 0) failures.push(`${row.name}: engine:\n  ${engine.join('\n  ')}`);
          // ICMP rows and packets the host itself sends are walked by the engine only.
          if (row.packet.proto === 'icmp' || row.in === undefined) continue;
          await lab.exec('node', ['conntrack', '-F']);
          const kernel = await kernelAgrees(lab, row, hostOf);
          sent++;
          if (kernel.length > 0) failures.push(`${row.name}:\n  ${kernel.join('\n  ')}`);
        }
        st.diagnostic(`${sent} rows sent through the kernel, ${suite.rows.length} walked by the engine`);
        assert.deepEqual(failures, []);
        if (suite.rows !== FIB_PKTTYPE_ROWS) return;
        // The ICMP rows' packet types, on the kernel's side: its counters.
        for (const [dst, match, flags] of [
          ['255.255.255.255', /meta pkttype broadcast/, ['-b']],
          ['224.0.0.1', /meta pkttype multicast/, []],
        ] as const) {
          const before = await rpfCounter(lab, match);
          await lab.exec('lan', ['ping', ...flags, '-c', '1', '-W', '1', '-I', 'eth0', dst]);
          assert.equal(await rpfCounter(lab, match), before + 1, `${dst}: ${match}`);
        }
        // The node's own broadcast leaves as PACKET_HOST in OUTPUT (a zeroed skb), kernel and engine.
        const own = /meta pkttype host icmp type echo-request counter/;
        const before = await rpfCounter(lab, own);
        await lab.exec('node', ['ping', '-b', '-c', '1', '-W', '1', '-I', 'eth0', '255.255.255.255']);
        assert.equal(await rpfCounter(lab, own), before + 1, "the node's broadcast in OUTPUT");
        const out = evaluateHook(
          [],
          hookInput({
            hook: 'OUTPUT',
            out: 'eth0',
            packet: { src: '192.168.0.2', dst: '255.255.255.255', proto: 'icmp', icmpType: 8 },
          }),
          env,
          parsed.value,
        );
        assert.ok(
          out.every((o) => o.steps.some((x) => own.test(x.raw))),
          'the engine: pkttype host in OUTPUT',
        );
      });
    }
  }));
