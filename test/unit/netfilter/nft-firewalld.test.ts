// firewalld's nftables backend, evaluated: the rulesets the real firewalld 1.3.3 wrote in a
// namespace (test/fixtures/capture-firewalld.sh). "public": eth0 in zone public, as on a default
// RHEL node, so forwarding into the pod network is rejected; "trusted-pods": the pod network
// 10.244.0.0/16 added to zone trusted. Together with kube-proxy's nftables table, a Service's
// DNATed traffic passes firewalld (`ct status dnat accept`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { unmodelledRules } from '../../../src/engine/netfilter/nft/compile.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import type { NftRuleset } from '../../../src/model/types.ts';
import { fixture, host, hookInput, only } from './helpers.ts';
import { packetTable } from './packet-table.ts';

function load(name: string): NftRuleset {
  const parsed = parseNftJson(fixture(`netfilter/output/${name}`));
  assert.deepEqual(parsed.warnings, [], name);
  return parsed.value;
}

const publicZone = load('firewalld-public.nft.json');
const trustedPods = load('firewalld-trusted-pods.nft.json');
const kubeProxy = load('kube-proxy-nftables.nft.json');
const env = host({ addrs: { eth0: ['192.168.0.2'], cni0: ['10.244.0.1'], lo: ['127.0.0.1'] } });

const ADMIN = /reject with icmpx admin-prohibited # handle \d+$/;

packetTable(
  'firewalld public zone',
  [],
  env,
  [
    {
      name: 'outside to a pod: forwarding rejected',
      in: 'eth0',
      out: 'cni0',
      packet: { src: '203.0.113.9', dst: '10.244.0.5', dport: 8080 },
      want: 'REJECT',
      rule: ADMIN,
    },
    {
      name: 'pod to outside (intra-zone forward to eth0)',
      in: 'cni0',
      out: 'eth0',
      packet: { src: '10.244.0.5', dst: '203.0.113.9', dport: 443 },
      want: '',
      rule: /oifname "eth0" accept/,
    },
    {
      name: 'ssh to the node',
      in: 'eth0',
      packet: { src: '203.0.113.9', dst: '192.168.0.2', dport: 22 },
      want: '',
      rule: /tcp dport 22 accept/,
    },
    {
      name: 'another port of the node: rejected',
      in: 'eth0',
      packet: { src: '203.0.113.9', dst: '192.168.0.2', dport: 10250 },
      want: 'REJECT',
      rule: ADMIN,
    },
    {
      name: 'ping to the node',
      in: 'eth0',
      packet: { src: '203.0.113.9', dst: '192.168.0.2', proto: 'icmp', icmpType: 8 },
      want: '',
      rule: /meta l4proto \{ icmp, ipv6-icmp \} accept/,
    },
    {
      name: 'the node to outside',
      out: 'eth0',
      packet: { src: '192.168.0.2', dst: '203.0.113.9', dport: 443 },
      want: '',
    },
  ],
  publicZone,
);

packetTable(
  'firewalld with the pod network trusted',
  [],
  env,
  [
    // The forward chain is chosen by the ingress zone: eth0 is still public, which rejects.
    {
      name: 'outside to a pod: still rejected (ingress zone public)',
      in: 'eth0',
      out: 'cni0',
      packet: { src: '203.0.113.9', dst: '10.244.0.5', dport: 8080 },
      want: 'REJECT',
      rule: ADMIN,
    },
    {
      name: 'pod to outside',
      in: 'cni0',
      out: 'eth0',
      packet: { src: '10.244.0.5', dst: '203.0.113.9', dport: 443 },
      want: '',
      rule: /^accept # handle \d+$/,
    },
    {
      name: 'pod to pod across the node',
      in: 'cni0',
      out: 'cni0',
      packet: { src: '10.244.0.5', dst: '10.244.0.6', dport: 8080 },
      want: '',
      rule: /ip daddr 10\.244\.0\.0\/16 accept # handle 253/,
    },
    {
      name: 'pod to the node (trusted)',
      in: 'cni0',
      packet: { src: '10.244.0.5', dst: '192.168.0.2', dport: 10250 },
      want: '',
    },
  ],
  trustedPods,
);

const both: NftRuleset = { tables: [...publicZone.tables, ...kubeProxy.tables] };
packetTable(
  'firewalld public zone with kube-proxy nftables',
  [],
  host({ addrs: { eth0: ['192.168.0.2', '192.168.1.2', '192.168.99.11'], cni0: ['10.0.0.1'], lo: ['127.0.0.1'] } }),
  [
    {
      name: 'NodePort from outside: DNATed, so firewalld lets it through',
      in: 'eth0',
      out: 'eth0',
      packet: { src: '203.0.113.2', dst: '192.168.0.2', dport: 3003 },
      want: '10.180.0.3:80',
      masq: true,
    },
    {
      name: 'unallocated ClusterIP: kube-proxy drops before firewalld rejects',
      in: 'cni0',
      out: 'eth0',
      packet: { src: '10.0.0.2', dst: '172.30.0.50', dport: 80 },
      want: 'DROP',
    },
  ],
  both,
);

test('an established reply is accepted by firewalld before any zone', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({
        hook: 'FORWARD',
        in: 'eth0',
        out: 'cni0',
        state: 'ESTABLISHED',
        packet: { src: '203.0.113.9', dst: '10.244.0.5', sport: 443, dport: 40000 },
      }),
      env,
      publicZone,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.match(o.steps.at(-1)?.raw ?? '', /ct state \{ established, related \} accept # handle 36/);
});

test('the rejecting step names the family, table and handle for the fix', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'cni0', packet: { src: '203.0.113.9', dst: '10.244.0.5' } }),
      env,
      publicZone,
    ),
  );
  assert.equal(o.verdict, 'reject');
  assert.equal(o.rejectWith, 'icmp-admin-prohibited');
  const last = o.steps.at(-1)!;
  assert.deepEqual(
    [last.backend, last.family, last.table, last.chain],
    ['nftables', 'inet', 'firewalld', 'filter_FWD_public'],
  );
  assert.equal(last.rule !== null && 'handle' in last.rule ? last.rule.handle : undefined, 101);
});

test('every firewalld rule an IPv4 packet can reach is modelled', () => {
  for (const rs of [publicZone, trustedPods])
    for (const t of rs.tables)
      assert.deepEqual(
        unmodelledRules(t).map((u) => `${u.rule.text}: ${u.reason}`),
        [],
      );
});

test('kube-proxy nftables: every rule is modelled', () => {
  for (const t of kubeProxy.tables) assert.deepEqual(unmodelledRules(t), []);
});
