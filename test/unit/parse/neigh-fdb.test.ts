// parseIpNeigh / parseBridgeFdb on captures from test/fixtures/capture-ip.sh, where the VXLAN
// entries are programmed the way flannel's vxlan backend does (ARP + fdb `self permanent`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBridgeFdb } from '../../../src/model/parse/bridge-fdb.ts';
import { parseIpNeigh } from '../../../src/model/parse/ip-neigh.ts';
import { fixture } from '../../helpers/fixtures.ts';

describe('parseIpNeigh', () => {
  const r = parseIpNeigh(fixture('ip/ip-neigh.json'));
  const by = (dst: string) => r.value.find((n) => n.dst === dst);

  it('reads every entry without warnings', () => {
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.length, 7);
  });

  it("flannel's permanent ARP entry for the remote VTEP", () => {
    const n = by('10.244.2.0');
    assert.deepEqual(
      { ...n, raw: undefined },
      {
        dst: '10.244.2.0',
        dev: 'flannel.1',
        lladdr: '02:00:00:00:02:02',
        state: ['PERMANENT'],
        raw: undefined,
      },
    );
  });

  it('resolved, stale, unresolved and IPv6 router entries', () => {
    assert.deepEqual(by('192.168.50.1')?.state, ['REACHABLE']);
    assert.equal(by('192.168.50.20')?.lladdr, '02:00:00:00:00:20');
    assert.deepEqual(by('192.168.50.3')?.state, ['STALE']);
    const silent = by('192.168.50.99'); // nothing answers there
    assert.equal(silent?.lladdr, undefined);
    assert.ok(silent?.state[0] === 'INCOMPLETE' || silent?.state[0] === 'FAILED');
    const router = by('fd00:50::1');
    assert.equal(router?.dev, 'eth0');
    assert.deepEqual(router?.state, ['PERMANENT']);
    assert.ok(router?.raw.includes('"router":null'));
  });
});

describe('parseBridgeFdb', () => {
  const r = parseBridgeFdb(fixture('ip/bridge-fdb.json'));
  const on = (dev: string) => r.value.filter((e) => e.dev === dev);

  it('reads every entry without warnings', () => {
    assert.deepEqual(r.warnings, []);
    assert.equal(r.value.length, (JSON.parse(fixture('ip/bridge-fdb.json')) as unknown[]).length);
  });

  it("flannel's fdb entry: VTEP MAC → remote public IP, self permanent", () => {
    const [e, ...more] = on('flannel.1');
    assert.equal(more.length, 0);
    assert.deepEqual(
      { ...e, raw: undefined },
      {
        mac: '02:00:00:00:02:02',
        dev: 'flannel.1',
        dst: '192.168.50.20',
        self: true,
        state: 'permanent',
        raw: undefined,
      },
    );
  });

  it('default (all-zero) destinations: static remote, appended remote, multicast group', () => {
    const zero = (dev: string) =>
      on(dev)
        .filter((e) => e.mac === '00:00:00:00:00:00')
        .map((e) => e.dst);
    assert.deepEqual(zero('vxlan43'), ['192.168.50.20', '192.168.50.21']);
    assert.deepEqual(zero('vxlan42'), ['239.1.1.42']);
  });

  it('an entry with its own VNI', () => {
    const e = on('vxlan43').find((x) => x.mac === '02:00:00:00:06:01');
    assert.equal(e?.vni, 4343);
    assert.equal(e?.dst, '192.168.50.22');
  });

  it('bridge port entries: master, static, learned, the port itself', () => {
    const port = on('vethpod1').filter((e) => e.master === 'cni0');
    const state = (mac: string) => port.find((e) => e.mac === mac)?.state;
    assert.equal(state('02:00:00:00:01:99'), 'static');
    assert.equal(state('02:00:00:00:01:11'), 'permanent');
    assert.equal(state('02:00:00:00:01:12'), ''); // learned from the pod's traffic
    assert.ok(port.every((e) => !e.self && e.dst === undefined));
  });
});

describe('parseBridgeFdb: an entry bound to an underlay device', () => {
  // bridge -j fdb show (iproute2 6.1) after `ip link add vx0 type vxlan id 7 dev eth1 remote 10.0.1.3`
  // and `bridge fdb append 02:00:00:00:00:09 dev vx0 dst 10.0.1.3 via eth1 self permanent`.
  const r = parseBridgeFdb(
    '[{"mac":"02:00:00:00:00:09","ifname":"vx0","dst":"10.0.1.3","viaIf":"eth1","flags":["self"],"state":"permanent"},' +
      '{"mac":"00:00:00:00:00:00","ifname":"vx0","dst":"10.0.1.3","viaIf":"eth1","flags":["self"],"state":"permanent"}]',
  );
  it('reads `via` (viaIf): the outer route lookup is bound to it', () => {
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.value.map((e) => [e.mac, e.dst, e.via]),
      [
        ['02:00:00:00:00:09', '10.0.1.3', 'eth1'],
        ['00:00:00:00:00:00', '10.0.1.3', 'eth1'],
      ],
    );
  });
});
