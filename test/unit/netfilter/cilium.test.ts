// Cilium in iptables masquerading mode, Docker beside it (test/fixtures/netfilter: a real Cilium
// 1.13 node's rules, loaded and dumped by iptables-nft). Pod CIDR of this node 10.0.0.0/24.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { fmt, hookInput, host, only, path, ruleset } from './helpers.ts';

const cilium = ruleset('netfilter/output/cilium.iptables-nft-save.txt', 'nft');
const node = host({ addrs: { eth0: ['192.168.5.10'], cilium_host: ['10.0.0.96'], docker0: ['172.17.0.1'] } });

test('CILIUM_POST_nat masquerades pod traffic leaving through a non-cilium device (INCIDENTS #5)', () => {
  const o = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src: '10.0.0.5', dst: '10.20.30.40', dport: 3306 } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(o.nat?.kind, 'masquerade');
  assert.equal(fmt(o.packet.src), '192.168.5.10');
  // No --random-fully on this rule: the source port is kept.
  assert.equal(o.nat?.port, 40000);
  assert.equal(o.packet.sport, 40000);
  assert.match(o.nat!.step.raw, /cilium masquerade non-cluster/);
});

test('! -o cilium_+: traffic into the tunnel device keeps the pod address', () => {
  const o = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'POSTROUTING', out: 'cilium_vxlan', packet: { src: '10.0.0.5', dst: '10.0.1.7' } }),
      node,
    ),
  );
  assert.equal(o.nat, undefined);
  assert.equal(fmt(o.packet.src), '10.0.0.5');
  assert.equal(o.steps.at(-1)?.action, 'policy ACCEPT');
});

test('the node itself towards cilium_host is SNATed to the router address', () => {
  const o = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'POSTROUTING', out: 'cilium_host', packet: { src: '192.168.5.10', dst: '10.0.1.7' } }),
      node,
    ),
  );
  assert.equal(o.nat?.kind, 'snat');
  assert.equal(fmt(o.packet.src), '10.0.0.96');
  assert.equal(o.nat?.port, 40000);
});

test('-m socket in CILIUM_PRE_mangle: unknown, because its MARK target changes the packet', () => {
  const o = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.168.5.20', dst: '10.0.0.5' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.match(o.unknown!.rule.raw, /-m socket --transparent/);
  assert.match(o.unknown!.reason, /socket/);
});

test('-m socket is not consulted when the known mark match of the same rule already fails', () => {
  // mark 0xe00 fails "! --mark 0xe00/0xf00", so the socket match does not matter.
  const o = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '192.168.5.20', dst: '10.0.0.5', mark: 0xe00 } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(o.unknown, undefined);
});

test('CT --notrack in raw OUTPUT: the packet is UNTRACKED and nat OUTPUT is not consulted', () => {
  const tracked = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'OUTPUT', out: 'lxc1234', packet: { src: '10.0.0.96', dst: '10.0.0.5' } }),
      node,
    ),
  );
  assert.ok(path(tracked).includes('nat/OUTPUT: jump CILIUM_OUTPUT_nat'));
  const proxied = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'OUTPUT', out: 'lxc1234', packet: { src: '10.0.0.96', dst: '10.0.0.5', mark: 0xa00 } }),
      node,
    ),
  );
  assert.equal(proxied.ct.state, 'UNTRACKED');
  assert.equal(
    proxied.steps.some((s) => s.table === 'nat'),
    false,
  );
  assert.equal(proxied.verdict, 'accept');
  assert.ok(path(proxied).includes('filter/CILIUM_OUTPUT: ACCEPT'));
});

test('filter FORWARD policy DROP: only what CILIUM_FORWARD accepts is forwarded', () => {
  const fromPod = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'FORWARD', in: 'lxc1234', out: 'eth0', packet: { src: '10.0.0.5', dst: '8.8.8.8' } }),
      node,
    ),
  );
  assert.equal(fromPod.verdict, 'accept');
  const transit = only(
    evaluateHook(
      [cilium],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'eth1', packet: { src: '192.168.5.20', dst: '172.20.0.5' } }),
      node,
    ),
  );
  assert.equal(transit.verdict, 'drop');
  assert.deepEqual(transit.steps.at(-1), {
    backend: 'nft',
    table: 'filter',
    chain: 'FORWARD',
    rule: null,
    action: 'policy DROP',
    raw: ':FORWARD DROP [0:0]',
  });
});
