// parseIpRoute on `ip -d -j route show table all` captured by test/fixtures/capture-ip.sh.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpRoute } from '../../../src/model/parse/ip-route.ts';
import { isStandInTable, tableRef } from '../../../src/model/parse/route-table.ts';
import type { Route } from '../../../src/model/types.ts';
import { fixture } from '../../helpers/fixtures.ts';

const text = fixture('ip/ip-route.json');
const parsed = parseIpRoute(text);
const routes = parsed.value;

function find(dst: string, table: number, extra: (r: Route) => boolean = () => true): Route {
  const r = routes.filter((x) => x.dst === dst && x.table === table && extra(x));
  assert.equal(r.length, 1, `one route ${dst} in table ${table}, found ${r.length}`);
  return r[0] as Route;
}

/** The route without raw, for whole-object comparison. */
function plain(r: Route): Omit<Route, 'raw'> {
  const { raw: _raw, ...rest } = r;
  return rest;
}

const MAIN = 254;
const LOCAL = 255;
const calico = tableRef('calico');

describe('parseIpRoute: captured tables', () => {
  it('reads every route without warnings', () => {
    assert.deepEqual(parsed.warnings, []);
    assert.equal(routes.length, (JSON.parse(text) as unknown[]).length);
  });

  it('covers every route type the capture made', () => {
    assert.deepEqual([...new Set(routes.map((r) => r.type))].sort(), [
      'blackhole',
      'broadcast',
      'local',
      'multicast',
      'prohibit',
      'throw',
      'unicast',
      'unreachable',
    ]);
  });

  it('default routes with metrics, protocol and onlink', () => {
    assert.deepEqual(plain(find('0.0.0.0/0', MAIN, (r) => r.metric === 100)), {
      family: 'inet',
      table: MAIN,
      tableName: 'main',
      type: 'unicast',
      dst: '0.0.0.0/0',
      tos: 0,
      gateway: '192.168.50.1',
      dev: 'eth0',
      onlink: true,
      flags: ['onlink'],
      metric: 100,
      protocol: 'static',
      scope: 'global',
      nexthops: [],
    });
    const second = find('0.0.0.0/0', MAIN, (r) => r.metric === 200);
    assert.equal(second.gateway, '192.168.50.2');
    assert.equal(second.protocol, 'boot');
  });

  it('connected, host and peer routes', () => {
    const connected = find('192.168.50.0/24', MAIN);
    assert.equal(connected.protocol, 'kernel');
    assert.equal(connected.scope, 'link');
    assert.equal(connected.prefsrc, '192.168.50.10');
    assert.equal(connected.gateway, undefined);
    const host = find('10.244.1.7/32', MAIN); // printed as a bare address
    assert.equal(host.dev, 'vethpod1');
    assert.equal(host.scope, 'link');
    assert.equal(find('10.99.0.2/32', MAIN).prefsrc, '10.99.0.1');
  });

  it('flannel onlink route and Calico bird routes', () => {
    const f = find('10.244.2.0/24', MAIN);
    assert.equal(f.gateway, '10.244.2.0');
    assert.equal(f.dev, 'flannel.1');
    assert.equal(f.onlink, true);
    const bird = find('10.244.3.0/26', MAIN);
    assert.equal(bird.protocol, 'bird');
    assert.equal(bird.gateway, '192.168.50.20');
    assert.equal(bird.onlink, false);
  });

  it('blackhole, unreachable, prohibit, throw', () => {
    const bh = find('10.244.1.192/26', MAIN);
    assert.equal(bh.type, 'blackhole');
    assert.equal(bh.protocol, 'bird');
    assert.equal(bh.dev, undefined);
    assert.equal(bh.gateway, undefined);
    assert.equal(find('10.250.0.0/16', MAIN).type, 'unreachable');
    assert.equal(find('10.251.0.0/16', MAIN).type, 'prohibit');
    assert.equal(find('10.0.0.0/8', 100).type, 'throw');
    const inDefault = find('10.9.0.0/16', 253);
    assert.equal(inDefault.type, 'throw');
    assert.equal(inDefault.tableName, 'default');
  });

  it('multipath: weights and per-hop onlink; no single-path gateway', () => {
    const mp = find('10.253.0.0/16', MAIN);
    assert.equal(mp.gateway, undefined);
    assert.equal(mp.dev, undefined);
    assert.equal(mp.protocol, 'static');
    assert.deepEqual(mp.nexthops, [
      { gateway: '192.168.50.20', dev: 'eth0', weight: 1, onlink: false },
      { gateway: '192.168.50.21', dev: 'eth0', weight: 3, onlink: true },
    ]);
  });

  it('src, mtu metric, tos, linkdown', () => {
    assert.equal(find('10.254.0.0/16', MAIN).prefsrc, '192.168.50.11');
    assert.equal(find('10.255.0.0/16', MAIN).mtu, 1400);
    assert.equal(find('10.254.0.0/16', MAIN).mtu, undefined);
    assert.equal(find('10.200.0.0/16', MAIN).tos, 0x10);
    assert.deepEqual(find('172.16.10.0/24', MAIN).flags, ['linkdown']);
    assert.deepEqual(find('172.16.9.0/24', MAIN).flags, ['linkdown']);
  });

  it('numbered, named, reserved and large table ids', () => {
    const t100 = find('0.0.0.0/0', 100);
    assert.equal(t100.gateway, '192.168.50.1');
    assert.equal(t100.tableName, undefined);
    assert.equal(find('10.100.0.0/16', 100).scope, 'link');
    assert.ok(calico);
    assert.ok(isStandInTable(calico.table));
    const unreach = find('0.0.0.0/0', calico.table);
    assert.equal(unreach.type, 'unreachable');
    assert.equal(unreach.tableName, 'calico');
    assert.equal(find('10.244.5.0/24', calico.table).gateway, '192.168.50.20');
    const cilium = find('0.0.0.0/0', 2004);
    assert.equal(cilium.type, 'local');
    assert.equal(cilium.dev, 'lo');
    assert.equal(cilium.scope, 'host');
    assert.equal(find('10.201.0.0/16', 3000000000).gateway, '192.168.50.1');
  });

  it('local table: local, AnyIP and broadcast routes', () => {
    const anyip = find('10.96.0.0/12', LOCAL);
    assert.equal(anyip.type, 'local');
    assert.equal(anyip.dev, 'lo');
    const secondary = find('192.168.50.11/32', LOCAL);
    assert.equal(secondary.type, 'local');
    assert.equal(secondary.prefsrc, '192.168.50.10');
    assert.equal(find('10.244.1.255/32', LOCAL).type, 'broadcast');
    assert.equal(find('10.244.1.127/32', LOCAL).type, 'broadcast');
  });

  it('IPv6: family from the addresses, "default" as ::/0', () => {
    const def6 = find('::/0', MAIN);
    assert.equal(def6.family, 'inet6');
    assert.equal(def6.gateway, 'fd00:50::1');
    assert.equal(def6.metric, 1024);
    assert.equal(find('fd00:99::/64', MAIN).gateway, 'fd00:50::1');
    assert.equal(find('fd00:bad::/64', MAIN).type, 'blackhole');
    assert.equal(find('fd00:bad::/64', MAIN).family, 'inet6');
    assert.equal(find('::1/128', LOCAL).type, 'local');
    assert.equal(routes.filter((r) => r.type === 'multicast' && r.dst === 'ff00::/8').length > 0, true);
    assert.ok(routes.filter((r) => r.family === 'inet').every((r) => !r.dst.includes(':')));
  });

  it('what the model does not represent is marked, not guessed', () => {
    // Nexthop object: ip also prints the resolved gateway and device, which are used.
    const nh = find('10.202.0.0/16', MAIN);
    assert.equal(nh.gateway, '192.168.50.20');
    assert.equal(nh.dev, 'eth0');
    assert.equal(nh.unmodeled, undefined);
    // IPv4 via an IPv6 gateway.
    const via6 = find('10.203.0.0/16', MAIN);
    assert.equal(via6.family, 'inet');
    assert.equal(via6.gateway, 'fd00:50::1');
    // Lightweight tunnel: ip prints "dst" twice; the route's own is the first.
    const encap = find('10.204.0.0/16', MAIN);
    assert.deepEqual(encap.unmodeled, ['encap ip']);
    assert.equal(encap.dev, 'vxlanext');
    assert.equal(
      routes.some((r) => r.dst === '192.168.50.20/32' && r.table === MAIN),
      false,
    );
    assert.ok(encap.raw.includes('"dst":"10.204.0.0/16"') && encap.raw.includes('"dst":"192.168.50.20"'));
    // Source-specific IPv6 route.
    assert.deepEqual(find('fd00:98::/64', MAIN).unmodeled, ['from fd00:50::/64']);
  });
});
