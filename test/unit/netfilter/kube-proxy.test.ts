// kube-proxy iptables mode on the nf_tables backend (test/fixtures/netfilter: rules from
// kubernetes/kubernetes proxier_test.go and a real node, loaded and dumped by the real tools).
// Expected results follow the kernel: nat PREROUTING/OUTPUT DNAT the first packet, statistic
// splits kube-dns into three endpoints, KUBE-MARK-MASQ + KUBE-POSTROUTING masquerade, filter
// rejects Services without endpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { branchProbability, fmt, hookInput, host, only, path, ruleset } from './helpers.ts';

const nft = ruleset('netfilter/output/kube-proxy.iptables-nft-save.txt', 'nft');
const node = host({ addrs: { eth0: ['192.168.99.10'], cni0: ['10.180.0.254'], lo: ['127.0.0.1'] } });

test('ClusterIP with three endpoints: three DNAT branches, 1/3 each', () => {
  const outcomes = evaluateHook(
    [nft],
    hookInput({
      hook: 'PREROUTING',
      in: 'cni0',
      packet: { src: '10.1.0.20', dst: '10.96.0.10', proto: 'udp', dport: 53 },
    }),
    node,
  );
  assert.equal(outcomes.length, 3);
  const byDst = new Map(outcomes.map((o) => [fmt(o.packet.dst), o]));
  assert.deepEqual([...byDst.keys()].sort(), ['10.1.0.64', '10.1.0.67', '10.1.0.68']);
  for (const o of outcomes) {
    assert.equal(o.verdict, 'accept');
    assert.equal(o.nat?.kind, 'dnat');
    assert.equal(o.nat?.port, 53);
    assert.equal(o.packet.dport, 53);
    assert.equal(o.ct.dnat, true);
    // The pod is inside the cluster CIDR 10.1.0.0/16: no KUBE-MARK-MASQ.
    assert.equal(o.packet.mark, 0);
    assert.ok(Math.abs(branchProbability(o) - 1 / 3) < 1e-3, `p=${branchProbability(o)}`);
  }
  // First endpoint: the 0.33333333349 rule matched. Second: it did not, the 0.5 rule did.
  // Third: neither (the last rule has no statistic match).
  const [first, second, third] = ['10.1.0.64', '10.1.0.67', '10.1.0.68'].map((d) => byDst.get(d)!);
  assert.equal(first!.branch.length, 1);
  assert.match(first!.branch[0]!, /--probability 0\.33333333349 in nat KUBE-SVC-TCOU7JCQXEZGVUNU rule 2: matched/);
  assert.equal(second!.branch.length, 2);
  assert.match(second!.branch[0]!, /rule 2: not matched/);
  assert.match(second!.branch[1]!, /--probability 0\.50000000000 .*rule 3: matched/);
  assert.deepEqual(
    third!.branch.map((b) => /: (not matched|matched)/.exec(b)?.[1]),
    ['not matched', 'not matched'],
  );
  assert.equal(third!.nat?.step.rule?.chain, 'KUBE-SEP-XQCFPAQSGQ46R77P');
});

test('NodePort from the LAN: KUBE-MARK-MASQ, DNAT, then MASQUERADE in POSTROUTING', () => {
  const pre = only(
    evaluateHook(
      [nft],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        packet: { src: '192.168.99.50', dst: '192.168.99.10', dport: 3003 },
      }),
      node,
    ),
  );
  assert.equal(pre.verdict, 'accept');
  assert.equal(fmt(pre.packet.dst), '10.180.0.3');
  assert.equal(pre.packet.dport, 80);
  assert.equal(pre.packet.mark, 0x4000);
  assert.deepEqual(path(pre), [
    'mangle/PREROUTING: policy ACCEPT',
    'nat/PREROUTING: jump KUBE-SERVICES',
    'nat/KUBE-SERVICES: jump KUBE-NODEPORTS',
    'nat/KUBE-NODEPORTS: jump KUBE-EXT-X27LE4BHSL4DOUIK',
    'nat/KUBE-EXT-X27LE4BHSL4DOUIK: jump KUBE-MARK-MASQ',
    'nat/KUBE-MARK-MASQ: MARK 0x0 → 0x4000',
    'nat/KUBE-EXT-X27LE4BHSL4DOUIK: jump KUBE-SVC-X27LE4BHSL4DOUIK',
    'nat/KUBE-SVC-X27LE4BHSL4DOUIK: jump KUBE-SEP-OYPFS5VJICHGATKP',
    'nat/KUBE-SEP-OYPFS5VJICHGATKP: DNAT to 10.180.0.3:80',
  ]);

  // The forwarded packet: KUBE-FORWARD accepts what kube-proxy marked.
  const fwd = only(
    evaluateHook(
      [nft],
      {
        ...hookInput({
          hook: 'FORWARD',
          in: 'eth0',
          out: 'cni0',
          packet: { src: '192.168.99.50', dst: '10.180.0.3', mark: 0x4000 },
        }),
        ct: pre.ct,
      },
      node,
    ),
  );
  assert.equal(fwd.verdict, 'accept');
  assert.equal(fwd.steps.at(-1)?.rule?.raw.includes('kubernetes forwarding rules'), true);

  // POSTROUTING: the mark is cleared (--xor-mark, saved as --set-xmark 0x4000/0x0) and the
  // source becomes the address of the output device.
  const post = only(
    evaluateHook(
      [nft],
      {
        ...hookInput({
          hook: 'POSTROUTING',
          out: 'cni0',
          packet: { src: '192.168.99.50', dst: '10.180.0.3', mark: 0x4000 },
        }),
        ct: pre.ct,
      },
      node,
    ),
  );
  assert.equal(post.verdict, 'accept');
  assert.equal(post.nat?.kind, 'masquerade');
  assert.equal(fmt(post.packet.src), '10.180.0.254');
  assert.equal(post.nat?.port, undefined, '--random-fully: the port is not known');
  assert.equal(post.packet.mark, 0);
  assert.equal(post.ct.snat, true);
  assert.equal(post.ct.dnat, true);
  assert.match(post.nat!.step.action, /random-fully/);
});

test('NodePort of an externalTrafficPolicy=Local Service keeps the client address', () => {
  const pre = only(
    evaluateHook(
      [nft],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        packet: { src: '192.168.99.50', dst: '192.168.99.10', dport: 3001 },
      }),
      node,
    ),
  );
  assert.equal(fmt(pre.packet.dst), '10.180.0.2');
  assert.equal(pre.packet.mark, 0);
  assert.ok(path(pre).includes('nat/KUBE-EXT-GNZBNJ2PO5MGZ6GT: jump KUBE-SVL-GNZBNJ2PO5MGZ6GT'));
  const post = only(
    evaluateHook(
      [nft],
      {
        ...hookInput({ hook: 'POSTROUTING', out: 'cni0', packet: { src: '192.168.99.50', dst: '10.180.0.2' } }),
        ct: pre.ct,
      },
      node,
    ),
  );
  assert.equal(post.nat, undefined);
  assert.equal(fmt(post.packet.src), '192.168.99.50');
  assert.deepEqual(path(post).slice(-2), ['nat/KUBE-POSTROUTING: RETURN', 'nat/POSTROUTING: policy ACCEPT']);
});

test('a node process to a ClusterIP: nat OUTPUT DNATs and marks for masquerade', () => {
  const out = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.168.99.10', dst: '172.30.0.41' } }),
      node,
    ),
  );
  assert.equal(out.verdict, 'accept');
  assert.equal(fmt(out.packet.dst), '10.180.0.1');
  assert.equal(out.packet.mark, 0x4000, '! -s 10.0.0.0/8: the node address is outside the cluster CIDR');
  // filter OUTPUT still runs after nat (and its ctstate NEW rules still match a DNATed packet).
  assert.ok(path(out).includes('filter/OUTPUT: jump KUBE-SERVICES'));
  assert.equal(out.steps.at(-1)?.action, 'policy ACCEPT');
});

test('a Service without endpoints: filter KUBE-SERVICES rejects the first packet', () => {
  const pkt = { src: '10.1.0.20', dst: '172.30.0.46' };
  const pre = only(evaluateHook([nft], hookInput({ hook: 'PREROUTING', in: 'cni0', packet: pkt }), node));
  assert.equal(pre.verdict, 'accept');
  assert.equal(pre.nat, undefined);
  const fwd = only(evaluateHook([nft], hookInput({ hook: 'FORWARD', in: 'cni0', out: 'eth0', packet: pkt }), node));
  assert.equal(fwd.verdict, 'reject');
  assert.equal(fwd.rejectWith, 'icmp-port-unreachable');
  assert.match(fwd.steps.at(-1)!.raw, /ns6\/svc6:p80 has no endpoints/);
});

test('session affinity (-m recent): a new client takes the endpoint choice without affinity, and the trace says so', () => {
  const o = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'PREROUTING', in: 'cni0', packet: { src: '10.1.0.20', dst: '172.30.0.45' } }),
      node,
    ),
  );
  assert.equal(o.verdict, 'accept');
  assert.equal(fmt(o.packet.dst), '10.180.0.3');
  // The --rcheck rule did not match (the list is taken as empty); the plain jump did, and the
  // endpoint chain's DNAT rule added the client to its list (--set).
  assert.deepEqual(o.branch, [
    'xt_recent list KUBE-SEP-I77PXRDZVX7PMWMN: 10.1.0.20 taken as not listed (a new client; the lists were not collected)',
  ]);
  assert.match(o.nat!.step.raw, /-m recent --set --name KUBE-SEP-I77PXRDZVX7PMWMN/);
  assert.equal(o.ct.recent?.size, 1);
  // The Service next to it is unaffected.
  const other = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'PREROUTING', in: 'cni0', packet: { src: '10.1.0.20', dst: '172.30.0.43' } }),
      node,
    ),
  );
  assert.equal(other.verdict, 'accept');
  assert.equal(fmt(other.packet.dst), '10.180.0.3');
  assert.deepEqual(other.branch, []);
});

test('loadBalancerSourceRanges: an allowed source is DNATed, others are dropped by KUBE-PROXY-FIREWALL', () => {
  const allowed = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '203.0.113.9', dst: '5.6.7.8' } }),
      node,
    ),
  );
  assert.equal(allowed.verdict, 'accept');
  assert.equal(fmt(allowed.packet.dst), '10.180.0.3');
  assert.equal(allowed.packet.mark, 0x4000, 'KUBE-EXT masquerades external traffic of a Cluster-policy Service');
  const other = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '198.51.100.7', dst: '5.6.7.8' } }),
      node,
    ),
  );
  // KUBE-FW-... ends in a counters-only rule; nothing translates it.
  assert.equal(other.verdict, 'accept');
  assert.equal(other.nat, undefined);
  assert.ok(path(other).includes('nat/KUBE-FW-NUKIZ6OKUXPJNT4C: counted (no target)'));
  const fwd = only(
    evaluateHook(
      [nft],
      hookInput({ hook: 'FORWARD', in: 'eth0', out: 'eth1', packet: { src: '198.51.100.7', dst: '5.6.7.8' } }),
      node,
    ),
  );
  assert.equal(fwd.verdict, 'drop');
  assert.match(fwd.steps.at(-1)!.raw, /traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C/);
});
