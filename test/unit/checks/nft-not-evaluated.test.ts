// nftables-not-evaluated is for constructs the evaluator genuinely does not model: every real
// native ruleset we hold — each `nft -j list ruleset` fixture and every node of every example —
// is evaluated whole, except the rules and chains listed here, each with why.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { unmodelledNft } from '../../../src/checks/node/native-nftables.ts';
import { buildModel } from '../../../src/model/model.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { host } from '../engine/model-builder.ts';

const OUTPUT = new URL('../../fixtures/netfilter/output/', import.meta.url);
const EXAMPLES = new URL('../../../examples/', import.meta.url);

/**
 * nft-semantics.nft exists to put what is not modelled on a path (test/unit/netfilter/
 * nft-semantics.test.ts): a DSCP rewrite (no later match reads DSCP in the model), the socket
 * owner (`meta skuid`: not collected) in an output chain and a chain it reaches through a verdict
 * map (in a chain only prerouting reaches it is decided: a received packet has no socket yet), and chains of the bridge and netdev families, which no walked
 * IPv4 path enters as an ip/inet hook.
 */
const EXPECTED: Record<string, string[]> = {
  'nft-semantics.nft.json': [
    'table ip late chain forward-chain: ip daddr 10.0.0.3 ip dscp set cs1 # handle 5: setting {"payload":{"protocol":"ip","field":"dscp"}} is not modelled',
    "table ip sockets chain output-chain: ip daddr 10.0.0.4 meta skuid 0 counter packets 0 bytes 0 # handle 5: meta skuid reads the owner of the packet's socket, which is not collected (the chain runs for packets the host sends or receives)",
    "table ip sockets chain output-chain: ip daddr 10.0.0.5 meta skuid 0 tcp dport 22 drop # handle 6: meta skuid reads the owner of the packet's socket, which is not collected (the chain runs for packets the host sends or receives)",
    "table ip sockets chain by-owner: meta skuid 1000 drop # handle 9: meta skuid reads the owner of the packet's socket, which is not collected (the chain runs for packets the host sends or receives)",
    'table netdev edge chain ingress-chain { type filter hook ingress priority 0; policy accept; }: not walked',
    'table bridge br chain forward-chain { type filter hook forward priority 0; policy accept; }: not walked',
  ],
};

test('every nft -j fixture is evaluated whole, but for the listed constructs', () => {
  const files = readdirSync(OUTPUT).filter((f) => f.endsWith('.nft.json'));
  assert.ok(files.length >= 12, `only ${files.length} fixtures`);
  for (const f of files) {
    const h = host('node', {});
    const parsed = parseNftJson(readFileSync(new URL(f, OUTPUT), 'utf8'));
    assert.deepEqual(parsed.warnings, [], f);
    h.nft = parsed.value;
    assert.deepEqual(unmodelledNft(h), EXPECTED[f] ?? [], f);
  }
});

// The examples were captured from lab clusters whose nodes hold iptables-nft tables only (no
// native table yet); this keeps a recaptured one with kube-proxy's or felix's native table honest.
test('no node of any example has a native rule the evaluator does not model', async () => {
  const found: string[] = [];
  for (const f of readdirSync(EXAMPLES).filter((x) => x.endsWith('.json'))) {
    const m = buildModel(await readSnapshot(new URL(f, EXAMPLES).pathname));
    for (const h of m.hosts.values()) for (const line of unmodelledNft(h)) found.push(`${f} ${h.name}: ${line}`);
  }
  assert.deepEqual(found, []);
});
