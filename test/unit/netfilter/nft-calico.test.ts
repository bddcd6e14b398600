// Calico's nftables dataplane, evaluated: felix's real table `ip calico` (its FV tests' dump, as
// `nft -j` printed it after `nft -f` here) alone, and with the lab's workloads and a
// NetworkPolicy added as felix's renderer writes them (test/fixtures/netfilter/felix-nft.ts). The
// same rows go through a real kernel in test/lab/calico-nft.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnalysisContext } from '../../../src/checks/context.ts';
import { explainPolicyDrop, policiesBeforeDrop } from '../../../src/checks/flow/calico-policy-drop.ts';
import { finding } from '../../../src/checks/finding.ts';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { unmodelledRules } from '../../../src/engine/netfilter/nft/compile.ts';
import type { Trace } from '../../../src/engine/trace.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import type { NftRuleset } from '../../../src/model/types.ts';
import { host as modelHost } from '../engine/model-builder.ts';
import { dropHop, fixture, host, only } from './helpers.ts';
import { CALICO_DENIED_FORWARD, CALICO_IFACES, CALICO_NFT_ROWS } from './nft-rows.ts';
import { packetTable } from './packet-table.ts';

function load(name: string): NftRuleset {
  const parsed = parseNftJson(fixture(`netfilter/output/${name}`));
  assert.deepEqual(parsed.warnings, [], name);
  return parsed.value;
}

const felixOnly = load('calico-nftables.nft.json');
const withWorkloads = load('calico-nftables-workloads.nft.json');

const env = host({
  addrs: { eth0: ['10.128.0.212'], lo: ['127.0.0.1'] },
  routes: {
    '0.0.0.0/0': 'eth0',
    '10.128.0.0/24': 'eth0',
    '192.168.7.1/32': CALICO_IFACES.client,
    '192.168.7.2/32': CALICO_IFACES.web,
    '192.168.7.3/32': CALICO_IFACES.other,
  },
});

packetTable('Calico nftables dataplane', [], env, CALICO_NFT_ROWS, withWorkloads);

test("every rule of felix's real table and of its workload chains is modelled", () => {
  for (const rs of [felixOnly, withWorkloads])
    for (const t of rs.tables)
      assert.deepEqual(
        unmodelledRules(t).map((u) => `${u.rule.text}: ${u.reason}`),
        [],
      );
});

packetTable(
  "felix's table without workloads",
  [],
  env,
  [
    {
      name: 'a cali* interface felix has no endpoint for: "Unknown interface"',
      in: CALICO_IFACES.client,
      out: CALICO_IFACES.web,
      packet: { src: '192.168.7.1', dst: '192.168.7.2', dport: 8080 },
      want: 'DROP',
      rule: /Unknown interface/,
    },
    {
      name: 'VXLAN from an allowed host to the node',
      in: 'eth0',
      packet: { src: '10.128.0.208', dst: '10.128.0.212', proto: 'udp', dport: 4789 },
      want: '',
      rule: /Allow IPv4 VXLAN packets from allowed hosts/,
    },
    {
      name: 'VXLAN from any other host is dropped',
      in: 'eth0',
      packet: { src: '10.128.0.1', dst: '10.128.0.212', proto: 'udp', dport: 4789 },
      want: 'DROP',
      rule: /Drop IPv4 VXLAN packets from non-allowed hosts/,
    },
  ],
  felixOnly,
);

test('a drop at the end of the tier names the NetworkPolicy from its nft chain, as for iptables', () => {
  const o = only(evaluateHook([], CALICO_DENIED_FORWARD, env, withWorkloads));
  const hop = dropHop('node', o);
  const h = { ...modelHost('node', {}), nft: withWorkloads };
  const refs = policiesBeforeDrop(h, hop);
  assert.deepEqual(
    refs.map(({ evidence, ...r }) => r),
    [
      {
        kind: 'KubernetesNetworkPolicy',
        namespace: 'default',
        name: 'web-8080',
        direction: 'ingress',
        chain: 'filter-cali-pi-knp/default/web-8080',
      },
    ],
  );
  assert.match(refs[0]!.evidence, /tcp dport 8080 .*KubernetesNetworkPolicy default\/web-8080 ingress/);
  const ctx = { model: { hosts: new Map([['node', h]]) } } as unknown as AnalysisContext;
  const f = explainPolicyDrop(
    ctx,
    finding('netfilter-drop', { node: 'node', summary: 'FORWARD: dropped', evidence: [] }),
    { decisive: hop } as Trace,
  );
  assert.match(
    f.summary,
    /no rule of KubernetesNetworkPolicy default\/web-8080 \(felix chain filter-cali-pi-knp\/default\/web-8080\) allows it/,
  );
  assert.match(f.fix ?? '', /kubectl -n default edit networkpolicy web-8080/);
});
