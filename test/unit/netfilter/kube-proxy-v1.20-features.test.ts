// The real kube-proxy v1.20.2's rules for every Service feature (kube-proxy-v1.20-features.ts),
// walked row by row as kube-proxy's own runPacketFlowTests walks its expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleset } from './helpers.ts';
import { packetTable } from './packet-table.ts';
import { FEATURES_FILE, FEATURES_NODE, FEATURES_ROWS, NPA_FILE, NPA_ROWS } from './kube-proxy-v1.20-features.ts';

const features = ruleset(FEATURES_FILE, 'nft');
packetTable('kube-proxy v1.20.2 features (real)', [features], FEATURES_NODE, FEATURES_ROWS);
packetTable('kube-proxy v1.20.2 --nodeport-addresses (real)', [ruleset(NPA_FILE, 'nft')], FEATURES_NODE, NPA_ROWS);

test('kube-proxy v1.20.2 relies on the kubelet for the drop: KUBE-MARK-DROP marks, only INPUT/OUTPUT drop', () => {
  const filter = features.tables.get('filter')!;
  const jumps = (chain: string) =>
    filter.chains.get(chain)!.rules.filter((r) => r.raw.includes('-j KUBE-FIREWALL')).length;
  assert.deepEqual([jumps('INPUT'), jumps('OUTPUT'), jumps('FORWARD')], [1, 1, 0]);
});
