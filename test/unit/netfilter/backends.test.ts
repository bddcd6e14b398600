// Both backends populated: iptables-nft and iptables-legacy register their tables at the same
// priorities, so a packet passes both. A drop in either drops. The nat tables are different:
// nf_nat_inet_fn stops at the first one that creates a binding, in hook registration order, which
// a snapshot does not show — if both would translate, the outcome is unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { fmt, hookInput, host, only, path, ruleset } from './helpers.ts';

const kubeNft = ruleset('netfilter/output/kube-proxy.iptables-nft-save.txt', 'nft');
const ciliumNft = ruleset('netfilter/output/cilium.iptables-nft-save.txt', 'nft');
const legacy = ruleset('netfilter/output/legacy-flannel-docker.iptables-legacy-save.txt', 'legacy');
const node = host({ addrs: { eth0: ['192.168.1.5'], cni0: ['10.1.0.1'], docker0: ['172.17.0.1'] } });

test('filter: nft accepts, legacy drops (FORWARD policy DROP) → dropped; nft runs first', () => {
  const o = only(
    evaluateHook(
      [legacy, kubeNft],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'eth1', packet: { src: '192.168.1.50', dst: '172.20.0.5' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'drop');
  const filterSteps = o.steps.filter((s) => s.table === 'filter');
  assert.equal(filterSteps[0]?.backend, 'nft');
  assert.deepEqual(
    filterSteps.filter((s) => s.rule === null).map((s) => `${s.backend} ${s.action}`),
    ['nft policy ACCEPT', 'legacy policy DROP'],
  );
});

test('nat: only legacy translates → its translation stands', () => {
  const o = only(
    evaluateHook(
      [ciliumNft, legacy],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src: '10.1.0.5', dst: '8.8.8.8' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(o.nat?.kind, 'masquerade');
  assert.equal(o.nat?.step.backend, 'legacy');
  assert.equal(o.nat?.step.chain, 'FLANNEL-POSTRTG');
  assert.equal(fmt(o.packet.src), '192.168.1.5');
});

test('nat: both backends masquerade the same Docker traffic → unknown, both rules quoted', () => {
  const o = only(
    evaluateHook(
      [legacy, ciliumNft],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src: '172.17.0.2', dst: '8.8.8.8' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.equal(o.unknown?.rule.raw, '[0:0] -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE');
  assert.match(o.unknown!.reason, /iptables-nft and iptables-legacy/);
  assert.equal((o.unknown!.reason.match(/-s 172\.17\.0\.0\/16 ! -o docker0 -j MASQUERADE/g) ?? []).length, 2);
  assert.match(o.unknown!.reason, /registered its hook first/);
  // Neither translation is certain: the packet is left as it was before the nat tables.
  assert.equal(o.nat, undefined);
  assert.equal(fmt(o.packet.src), '172.17.0.2');
});

test('nat DNAT in one backend, nothing in the other: DNAT stands and filter of both still runs', () => {
  const pre = only(
    evaluateHook(
      [kubeNft, legacy],
      hookInput({ hook: 'PREROUTING', in: 'cni0', packet: { src: '10.1.0.20', dst: '172.30.0.41' } }),
      node,
    ),
  );
  assert.equal(pre.verdict, 'accept');
  assert.equal(fmt(pre.packet.dst), '10.180.0.1');
  assert.equal(pre.nat?.step.backend, 'nft');
  // legacy's nat PREROUTING was probed (it would not translate this packet) but leaves no steps.
  assert.equal(
    pre.steps.some((s) => s.backend === 'legacy' && s.table === 'nat'),
    false,
  );
  const fwd = only(
    evaluateHook(
      [kubeNft, legacy],
      {
        ...hookInput({ hook: 'FORWARD', in: 'cni0', out: 'cni0', packet: { src: '10.1.0.20', dst: '10.180.0.1' } }),
        ct: pre.ct,
      },
      node,
    ),
  );
  assert.deepEqual([...new Set(fwd.steps.map((s) => s.backend))], ['nft', 'legacy']);
  // nft's FORWARD policy accepted, then legacy's FLANNEL-FWD accepted the pod source.
  assert.equal(fwd.verdict, 'accept');
  assert.deepEqual(path(fwd).slice(-1), ['filter/FLANNEL-FWD: ACCEPT']);
  assert.equal(fwd.steps.at(-1)?.backend, 'legacy');
});
