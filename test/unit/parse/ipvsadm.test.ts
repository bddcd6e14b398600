// parseIpvsadmSave. The kernel here has no IPVS, so `ipvsadm -S -n` cannot be captured: the
// fixtures are real outputs recorded by others (test/fixtures/netfilter/README.md says where
// each comes from).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpvsadmSave } from '../../../src/model/parse/ipvsadm.ts';
import { recordedIpvsadm } from '../../fixtures/netfilter.ts';

describe('parseIpvsadmSave: recorded kube-proxy / kube-router IPVS output', () => {
  it('reads services, schedulers, persistence and masq real servers', () => {
    const text = recordedIpvsadm('kube-router-notes.ipvsadm-S.txt');
    const { value, warnings } = parseIpvsadmSave(text);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      value.map((s) => ({
        protocol: s.protocol,
        address: s.address,
        port: s.port,
        scheduler: s.scheduler,
        persistent: s.persistent,
        timeout: s.persistenceTimeout,
      })),
      [
        { protocol: 'tcp', address: '10.1.0.1', port: 443, scheduler: 'rr', persistent: false, timeout: undefined },
        { protocol: 'tcp', address: '10.1.21.161', port: 8080, scheduler: 'rr', persistent: true, timeout: 10800 },
      ],
    );
    assert.deepEqual(value[0]?.realServers, [
      {
        address: '192.168.10.100',
        port: 6443,
        method: 'masq',
        weight: 1,
        raw: '-a -t 10.1.0.1:443 -r 192.168.10.100:6443 -m -w 1',
      },
      {
        address: '192.168.10.101',
        port: 6443,
        method: 'masq',
        weight: 1,
        raw: '-a -t 10.1.0.1:443 -r 192.168.10.101:6443 -m -w 1',
      },
      {
        address: '192.168.10.102',
        port: 6443,
        method: 'masq',
        weight: 1,
        raw: '-a -t 10.1.0.1:443 -r 192.168.10.102:6443 -m -w 1',
      },
    ]);
    assert.equal(value[1]?.realServers.length, 5);
    assert.equal(value[1]?.raw, '-A -t 10.1.21.161:8080 -s rr -p 10800');
  });

  it('reads the apiserver service of a kube-proxy IPVS node', () => {
    const { value, warnings } = parseIpvsadmSave(recordedIpvsadm('kube-proxy-apiserver.ipvsadm-S.txt'));
    assert.deepEqual(warnings, []);
    assert.equal(value.length, 1);
    assert.deepEqual(
      value[0]?.realServers.map((r) => `${r.address}:${r.port}`),
      ['10.19.9.120:6443', '10.19.14.106:6443', '10.19.111.132:6443'],
    );
  });

  it('keeps every line verbatim as a service or real server', () => {
    for (const name of [
      'kube-router-notes.ipvsadm-S.txt',
      'kube-proxy-apiserver.ipvsadm-S.txt',
      'kube-router-single.ipvsadm-S.txt',
    ]) {
      const text = recordedIpvsadm(name);
      const { value } = parseIpvsadmSave(text);
      const raws = value.flatMap((s) => [s.raw, ...s.realServers.map((r) => r.raw)]);
      assert.deepEqual(
        raws.sort(),
        text
          .split('\n')
          .filter((l) => l !== '')
          .sort(),
        name,
      );
    }
  });
});

describe('parseIpvsadmSave: shapes with no recorded public output', () => {
  // Built from ipvsadm.c print_service_entry()'s FMT_RULE format strings ("-A %s -s %s",
  // " -p %u", " -M %s", svc_name "-u %s" / "-f %d" / "--sctp-service %s", IPv6 "[%s]:%u",
  // "-a %s -r %s %s -w %d", print_tunnel_rule() "--tun-type %s"), because no public
  // `ipvsadm -S -n` dump with UDP, fwmark, DR or tunnel entries could be found and this kernel
  // has no IPVS to produce one.
  const text = [
    '-A -u 10.96.0.10:53 -s rr',
    '-a -u 10.96.0.10:53 -r 10.244.1.5:53 -m -w 1',
    '-A -f 100 -s wlc -p 300 -M 255.255.255.0',
    '-a -f 100 -r 192.168.1.20:0 -g -w 3',
    '-A --sctp-service 10.0.0.5:9999 -s sh',
    '-A -t [fd00:10:96::1]:443 -s rr -p 10800 -M 128',
    '-a -t [fd00:10:96::1]:443 -r [fd00:10:244::5]:6443 -i -w 1 --tun-type ipip',
  ].join('\n');
  const { value, warnings } = parseIpvsadmSave(text);

  it('reads udp, fwmark, sctp and IPv6 services', () => {
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      value.map((s) => [s.protocol, s.address, s.port, s.scheduler, s.persistenceTimeout]),
      [
        ['udp', '10.96.0.10', 53, 'rr', undefined],
        ['fwmark', '100', 0, 'wlc', 300],
        ['sctp', '10.0.0.5', 9999, 'sh', undefined],
        ['tcp', 'fd00:10:96::1', 443, 'rr', 10800],
      ],
    );
  });

  it('reads the forwarding method and weight of each real server', () => {
    assert.deepEqual(
      value.flatMap((s) => s.realServers.map((r) => [r.address, r.port, r.method, r.weight])),
      [
        ['10.244.1.5', 53, 'masq', 1],
        ['192.168.1.20', 0, 'gate', 3],
        ['fd00:10:244::5', 6443, 'ipip', 1],
      ],
    );
  });
});

describe('parseIpvsadmSave: damaged input (recorded output, edited)', () => {
  it('a real server of an unknown service, bad addresses and garbage: warnings, the rest kept', () => {
    const lines = recordedIpvsadm('kube-router-notes.ipvsadm-S.txt').split('\n');
    const edited = [
      lines[1],
      ...lines,
      '-A -t 10.0.0.1:99999 -s rr',
      '-A -x',
      'IP Virtual Server version 1.2.1 (size=4096)',
      '-a -t 10.1.0.1:443 -r nowhere:http -m',
      '-A toString 10.0.0.9:80 -s rr',
      '-a -t 10.1.0.1:443 -r 10.0.0.7:6443 constructor -w 1',
    ].join('\n');
    const { value, warnings } = parseIpvsadmSave(edited);
    assert.equal(value.length, 2);
    assert.equal(value[0]?.realServers.length, 4);
    assert.equal(value[0]?.realServers[3]?.method, 'gate');
    assert.deepEqual(
      warnings.map((w) => w.replace(/^line \d+: /, '').replace(/ [".].*/, '')),
      [
        'real server for service tcp 10.1.0.1:443 that was not defined before',
        'bad service address',
        'expected a service (-t|-u|--sctp-service ADDR:PORT or -f MARK), found',
        'not an ipvsadm -S line:',
        'bad real server address',
        'expected a service (-t|-u|--sctp-service ADDR:PORT or -f MARK), found',
        'unknown real server option',
      ],
    );
  });
});
