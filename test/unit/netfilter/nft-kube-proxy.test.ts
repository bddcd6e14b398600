// kube-proxy's nftables mode, evaluated: the ruleset of kubernetes/kubernetes
// pkg/proxy/nftables/proxier_test.go TestOverallNFTablesRules (commit 030880a5), loaded into a
// namespace with `nft -f` and dumped with `nft -j list ruleset` (test/fixtures/capture-netfilter.sh).
// The rows follow that file's runPacketFlowTests cases (TestClusterIPGeneral, TestLoadBalancer,
// TestNoEndpointsReject) on this ruleset's Services; the node is 192.168.0.2 (also .1.2 and
// 192.168.99.11), pods are 10.0.0.0/8.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { fixture, host } from './helpers.ts';
import { KUBE_PROXY_NFT_ROWS } from './nft-rows.ts';
import { mismatches, packetTable } from './packet-table.ts';

const parsed = parseNftJson(fixture('netfilter/output/kube-proxy-nftables.nft.json'));
const nft = parsed.value;
const env = host({ addrs: { eth0: ['192.168.0.2', '192.168.1.2', '192.168.99.11'], lo: ['127.0.0.1'] } });

test('kube-proxy nftables fixture parses without warnings', () => {
  assert.deepEqual(parsed.warnings, []);
});

packetTable('kube-proxy nftables mode', [], env, KUBE_PROXY_NFT_ROWS, nft);

test('without the nft ruleset the same packets pass untranslated (the rows above depend on it)', () => {
  const m = mismatches([], env, KUBE_PROXY_NFT_ROWS[0]!);
  assert.ok(m.length > 0);
});
