// Set membership as ip_set_test() decides it, on `ipset save` output captured from the real tool
// (test/fixtures/netfilter/output: Calico's sets and kube-proxy IPVS mode's sets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSet } from '../../../src/engine/netfilter/ipset-lookup.ts';
import { host, ipsets, packet, type PacketSpec } from './helpers.ts';

const env = host({
  sets: [
    ...ipsets('netfilter/output/calico.ipset-save.txt'),
    ...ipsets('netfilter/output/kube-proxy-ipvs.ipset-save.txt'),
  ],
});
const member = (set: string, p: PacketSpec, flags: string, returnNomatch = false) =>
  testSet(env, set, packet(p), { flags: flags.split(',').map((f) => f === 'src'), returnNomatch });

test('hash:net with nomatch exceptions: the most specific element decides', () => {
  const dst = (d: string) => member('cali40s:excluded-nets', { src: '1.1.1.1', dst: d }, 'dst');
  assert.equal(dst('10.5.5.5'), true); // 10.0.0.0/8
  assert.equal(dst('10.244.17.70'), false); // 10.244.17.64/26 nomatch
  assert.equal(dst('10.244.18.1'), true);
  assert.equal(dst('10.96.0.10'), false); // 10.96.0.0/12 nomatch
  assert.equal(dst('11.0.0.1'), false);
});

test('--return-nomatch swaps the answers of hash:net sets', () => {
  assert.equal(member('cali40s:excluded-nets', { src: '1.1.1.1', dst: '10.244.17.70' }, 'dst', true), true);
  assert.equal(member('cali40s:excluded-nets', { src: '1.1.1.1', dst: '10.5.5.5' }, 'dst', true), false);
});

test('hash:net with bare addresses (/32) and hash:ip', () => {
  assert.equal(member('cali40all-hosts-net', { src: '192.168.0.111', dst: '192.168.3.110' }, 'src'), true);
  assert.equal(member('cali40all-hosts-net', { src: '192.168.0.113', dst: '192.168.3.110' }, 'src'), false);
  assert.equal(member('cali40this-host', { src: '1.1.1.1', dst: '10.244.17.64' }, 'dst'), true);
  assert.equal(member('cali40this-host', { src: '10.244.17.64', dst: '1.1.1.1' }, 'dst'), false);
  assert.equal(member('cali40all-vxlan-net', { src: '192.168.0.111', dst: '1.1.1.1' }, 'src'), false, 'an empty set');
});

test('hash:ip,port: address and protocol:port, each from the side the flags name', () => {
  const svc = (dst: string, proto: 'tcp' | 'udp', dport: number, flags = 'dst,dst') =>
    member('KUBE-CLUSTER-IP', { src: '10.0.0.1', dst, proto, dport }, flags);
  assert.equal(svc('10.96.0.10', 'udp', 53), true);
  assert.equal(svc('10.96.0.10', 'tcp', 53), true);
  assert.equal(svc('10.96.0.10', 'tcp', 54), false);
  assert.equal(svc('10.96.0.1', 'tcp', 443), true);
  assert.equal(svc('10.96.0.1', 'udp', 443), false);
  // Fewer flags than the set has dimensions: ip_set_test returns 0.
  assert.equal(svc('10.96.0.1', 'tcp', 443, 'dst'), false);
  // The port from the source side: sport 40000 is not a member.
  assert.equal(svc('10.96.0.1', 'tcp', 443, 'dst,src'), false);
});

test('hash:ip,port,ip (hairpin) and hash:ip,port,net (load balancer source ranges)', () => {
  assert.equal(
    member('KUBE-LOOP-BACK', { src: '192.168.185.13', dst: '192.168.185.13', dport: 80 }, 'dst,dst,src'),
    true,
  );
  assert.equal(
    member('KUBE-LOOP-BACK', { src: '192.168.185.14', dst: '192.168.185.13', dport: 80 }, 'dst,dst,src'),
    false,
  );
  assert.equal(
    member('KUBE-LOAD-BALANCER-SOURCE-CIDR', { src: '203.0.113.9', dst: '5.6.7.8', dport: 80 }, 'dst,dst,src'),
    true,
  );
  assert.equal(
    member('KUBE-LOAD-BALANCER-SOURCE-CIDR', { src: '203.0.113.200', dst: '5.6.7.8', dport: 80 }, 'dst,dst,src'),
    false,
  );
});

test('bitmap:port: TCP and UDP ports, nothing else', () => {
  assert.equal(member('KUBE-NODE-PORT-TCP', { src: '1.1.1.1', dst: '2.2.2.2', dport: 30001 }, 'dst'), true);
  assert.equal(member('KUBE-NODE-PORT-TCP', { src: '1.1.1.1', dst: '2.2.2.2', dport: 30003 }, 'dst'), false);
  assert.equal(
    member('KUBE-NODE-PORT-TCP', { src: '1.1.1.1', dst: '2.2.2.2', proto: 'icmp', icmpType: 8 }, 'dst'),
    false,
  );
});

test('hash:ip with timeouts and list:set (the first member set that matches wins)', () => {
  assert.equal(member('KUBE-IPVS-IPS', { src: '1.1.1.1', dst: '10.96.0.10' }, 'dst'), true);
  assert.equal(member('KUBE-ALL-SERVICE-SETS', { src: '1.1.1.1', dst: '10.96.0.1', dport: 443 }, 'dst,dst'), true);
  assert.equal(member('KUBE-ALL-SERVICE-SETS', { src: '1.1.1.1', dst: '192.168.1.100', dport: 80 }, 'dst,dst'), true);
  assert.equal(member('KUBE-ALL-SERVICE-SETS', { src: '1.1.1.1', dst: '1.1.1.1', dport: 80 }, 'dst,dst'), false);
});

test('a set the host does not have is unknown, and says why', () => {
  const r = member('cali40does-not-exist', { src: '1.1.1.1', dst: '2.2.2.2' }, 'src');
  assert.equal(typeof r, 'object');
  assert.match((r as { unknown: string }).unknown, /does not exist on the host/);
});
