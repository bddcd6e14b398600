// parseIpsetSave on real `ipset save` output captured in network namespaces
// (test/fixtures/capture-netfilter.sh).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpsetSave } from '../../../src/model/parse/ipset.ts';
import type { IpSet } from '../../../src/model/types.ts';
import { capturedOutput } from '../../fixtures/netfilter.ts';

function setNamed(sets: IpSet[], name: string): IpSet {
  const s = sets.find((x) => x.name === name);
  assert.ok(s, `no set ${name}`);
  return s;
}

/** Every create line is a set and every add line an entry, verbatim and in order. */
function assertRoundTrip(text: string, sets: IpSet[]): void {
  const lines = text.split('\n');
  assert.deepEqual(
    sets.map((s) => s.raw),
    lines.filter((l) => l.startsWith('create ')),
  );
  const entries = sets.flatMap((s) => s.entries ?? []);
  assert.deepEqual(entries.map((e) => e.raw).sort(), lines.filter((l) => l.startsWith('add ')).sort());
  for (const e of entries) assert.equal(lines[e.line - 1], e.raw);
  for (const s of sets)
    assert.deepEqual(
      s.members,
      (s.entries ?? []).map((e) => e.member),
    );
}

describe('parseIpsetSave: Calico felix sets', () => {
  const text = capturedOutput('calico.ipset-save.txt');
  const { value: sets, warnings } = parseIpsetSave(text);

  it('reads every set and member without warnings', () => {
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      sets.map((s) => [s.name, s.type]),
      [
        ['cali40all-ipam-pools', 'hash:net'],
        ['cali40masq-ipam-pools', 'hash:net'],
        ['cali40all-hosts-net', 'hash:net'],
        ['cali40all-vxlan-net', 'hash:net'],
        ['cali40this-host', 'hash:ip'],
        ['cali40s:NvVxuo5TpdJ9XcQNuWAN5Ec', 'hash:ip'],
        ['cali40s:excluded-nets', 'hash:net'],
      ],
    );
    assertRoundTrip(text, sets);
  });

  it('keeps the create options and the members', () => {
    const pools = setNamed(sets, 'cali40all-ipam-pools');
    assert.deepEqual(pools.options.slice(0, 6), ['family', 'inet', 'hashsize', '1024', 'maxelem', '1048576']);
    assert.deepEqual(pools.members, ['10.244.0.0/16']);
    assert.deepEqual(setNamed(sets, 'cali40all-hosts-net').members.sort(), [
      '192.168.0.111',
      '192.168.3.110',
      '192.168.3.111',
    ]);
    assert.deepEqual(setNamed(sets, 'cali40all-vxlan-net').members, []);
  });

  it('marks nomatch entries of a hash:net set', () => {
    const excluded = setNamed(sets, 'cali40s:excluded-nets');
    assert.deepEqual((excluded.entries ?? []).map((e) => [e.member, e.nomatch, e.options]).sort(), [
      ['10.0.0.0/8', false, []],
      ['10.244.17.64/26', true, ['nomatch']],
      ['10.96.0.0/12', true, ['nomatch']],
    ]);
  });
});

describe('parseIpsetSave: kube-proxy IPVS mode sets', () => {
  const text = capturedOutput('kube-proxy-ipvs.ipset-save.txt');
  const { value: sets, warnings } = parseIpsetSave(text);

  it('reads every set type kube-proxy uses, without warnings', () => {
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      sets.map((s) => [s.name, s.type]),
      [
        ['KUBE-CLUSTER-IP', 'hash:ip,port'],
        ['KUBE-LOOP-BACK', 'hash:ip,port,ip'],
        ['KUBE-EXTERNAL-IP', 'hash:ip,port'],
        ['KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net'],
        ['KUBE-NODE-PORT-TCP', 'bitmap:port'],
        ['KUBE-NODE-PORT-UDP', 'bitmap:port'],
        ['KUBE-HEALTH-CHECK-NODE-PORT', 'bitmap:port'],
        ['KUBE-IPVS-IPS', 'hash:ip'],
        ['KUBE-ALL-SERVICE-SETS', 'list:set'],
      ],
    );
    assertRoundTrip(text, sets);
  });

  it('reads ip,proto:port members and a quoted entry comment', () => {
    const cluster = setNamed(sets, 'KUBE-CLUSTER-IP');
    assert.deepEqual(cluster.members.sort(), [
      '10.100.49.21,tcp:80',
      '10.96.0.1,tcp:443',
      '10.96.0.10,tcp:53',
      '10.96.0.10,udp:53',
    ]);
    assert.ok(cluster.options.includes('comment'));
    const commented = (cluster.entries ?? []).find((e) => e.member === '10.100.49.21,tcp:80');
    assert.deepEqual(commented?.options, ['comment', 'default/nginx-basic:http']);
    assert.deepEqual(setNamed(sets, 'KUBE-LOOP-BACK').members.sort(), [
      '192.168.185.1,udp:53,192.168.185.1',
      '192.168.185.13,tcp:80,192.168.185.13',
    ]);
    assert.deepEqual(setNamed(sets, 'KUBE-LOAD-BALANCER-SOURCE-CIDR').members, ['5.6.7.8,tcp:80,203.0.113.0/25']);
  });

  it('reads bitmap:port members one port per line (ipset expands ranges on save)', () => {
    const np = setNamed(sets, 'KUBE-NODE-PORT-TCP');
    assert.deepEqual(np.options, ['range', '0-65535', 'comment']);
    assert.deepEqual(np.members, ['30000', '30001', '30002', '31195']);
  });

  it('reads timeouts and list:set members', () => {
    const ips = setNamed(sets, 'KUBE-IPVS-IPS');
    const byMember = new Map((ips.entries ?? []).map((e) => [e.member, e.options]));
    assert.deepEqual(byMember.get('10.96.0.1'), ['timeout', '0']);
    assert.equal(byMember.get('10.96.0.10')?.[0], 'timeout');
    assert.deepEqual(setNamed(sets, 'KUBE-ALL-SERVICE-SETS').members, ['KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP']);
  });
});

describe('parseIpsetSave: damaged input (real dumps, edited)', () => {
  const text = capturedOutput('kube-proxy-ipvs.ipset-save.txt');

  it('an add before its create, a duplicate create and garbage: warnings, the rest kept', () => {
    const lines = text.split('\n');
    const firstAdd = lines.find((l) => l.startsWith('add KUBE-CLUSTER-IP')) ?? '';
    const firstCreate = lines.find((l) => l.startsWith('create KUBE-CLUSTER-IP')) ?? '';
    const edited = [firstAdd, ...lines, firstCreate, 'flush everything', 'create', 'add KUBE-CLUSTER-IP'].join('\n');
    const { value, warnings } = parseIpsetSave(edited);
    assert.equal(value.length, 9);
    assert.deepEqual(
      warnings.map((w) => w.replace(/^line \d+: /, '').replace(/ ".*/, '')),
      ['"add" to set', 'set', 'not an ipset save line:', '"create" without a set name', '"add" without a member:'],
    );
  });

  it('an unbalanced quote in a comment is a warning, the entry is kept', () => {
    const { value, warnings } = parseIpsetSave(
      text.replace('comment "default/nginx-basic:http"', 'comment "default/nginx'),
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /unbalanced quote/);
    const e = value[0]?.entries?.find((x) => x.member === '10.100.49.21,tcp:80');
    assert.deepEqual(e?.options, ['comment', 'default/nginx']);
  });
});
