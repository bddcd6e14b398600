// The iptables-backends check on nodes built from real iptables-save output
// (test/fixtures/netfilter/output/): one backend is quiet; Calico's chains in iptables-nft beside
// kube-proxy's, flannel's and Docker's in iptables-legacy is a split that names each writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iptablesBackendsCheck } from '../../../src/checks/node/iptables-backends.ts';
import { runChecks } from '../../../src/checks/run-checks.ts';
import { oneNodeContext } from '../../helpers/models.ts';
import { buildHostState } from '../../../src/model/host.ts';
import { fixture } from '../../helpers/fixtures.ts';

const CALICO_NFT = fixture('netfilter/output/calico.iptables-nft-save.txt');
const LEGACY = fixture('netfilter/output/legacy-flannel-docker.iptables-legacy-save.txt');

function run(nft: string, legacy: string) {
  const h = buildHostState('node-a', {
    sections: { 'iptables-nft-save': nft, 'iptables-legacy-save': legacy },
    errors: {},
  });
  return runChecks(oneNodeContext(h), [iptablesBackendsCheck]).findings;
}

test('every writer in one backend (the other empty) → nothing', () => {
  assert.deepEqual(run(CALICO_NFT, ''), []);
  assert.deepEqual(run('', LEGACY), []);
});

test('Calico through nft, kube-proxy, flannel and Docker through legacy → iptables-split-backends naming each', () => {
  const f = run(CALICO_NFT, LEGACY);
  assert.deepEqual(
    f.map((x) => `${x.id} ${x.node}`),
    ['iptables-split-backends node-a'],
  );
  assert.match(
    f[0]!.summary,
    /written by Calico through iptables-nft and by Docker, flannel, kube-proxy through iptables-legacy/,
  );
  assert.ok(f[0]!.evidence.some((e) => /^iptables-nft-save: Calico \(\d+ line/.test(e)));
  assert.ok(f[0]!.evidence.includes('  *filter :FLANNEL-FWD - [0:0]'), f[0]!.evidence.join('\n'));
  assert.ok(f[0]!.evidence.some((e) => /^iptables-legacy-save: kube-proxy/.test(e)));
});

test('only rules no agent can be named for in the other backend → nothing (an admin rule is no split of agents)', () => {
  const admin =
    '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n';
  assert.deepEqual(run(CALICO_NFT, admin), []);
});
