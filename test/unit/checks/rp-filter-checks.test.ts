// The rp_filter checks of doctor on small models: a tunnel in strict mode, and a second uplink in
// strict mode that the default route does not use (asymmetric path); loose mode and a single
// uplink are quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rpFilterCheck } from '../../../src/checks/node/rp-filter.ts';
import { runChecks } from '../../../src/checks/run-checks.ts';
import { oneNodeContext } from '../../helpers/models.ts';
import type { HostState } from '../../../src/model/types.ts';
import { addr, host, link, route, withLocal } from '../engine/model-builder.ts';

function node(sysctls: Record<string, string>, secondNic: boolean): HostState {
  return withLocal(
    host('node-b', {
      links: [
        link(2, 'eth0'),
        ...(secondNic ? [link(3, 'eth1')] : []),
        link(5, 'vxlan.calico', { kind: 'vxlan', mtu: 1450, vxlan: { vni: 4096, port: 4789, learning: false } }),
      ],
      addresses: [
        addr('eth0', '192.168.1.12/24'),
        ...(secondNic ? [addr('eth1', '192.168.3.12/24')] : []),
        addr('vxlan.calico', '10.65.0.64/32'),
      ],
      routes: [
        route('default via 192.168.1.1 dev eth0'),
        route('192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.12'),
        ...(secondNic ? [route('192.168.3.0/24 dev eth1 proto kernel scope link src 192.168.3.12')] : []),
      ],
      sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', ...sysctls },
    }),
  );
}

function run(h: HostState) {
  return runChecks(oneNodeContext(h), [rpFilterCheck]).findings;
}

test('strict tunnel device → rp-filter-strict-tunnel with the reverse route', () => {
  const f = run(node({ 'net.ipv4.conf.vxlan/calico.rp_filter': '1' }, false));
  assert.deepEqual(
    f.map((x) => x.id),
    ['rp-filter-strict-tunnel'],
  );
  assert.ok(f[0]!.evidence.includes('net.ipv4.conf.vxlan/calico.rp_filter = 1'));
  assert.ok(
    f[0]!.evidence.some((e) => /reverse route for 198\.51\.100\.10: default via 192\.168\.1\.1 dev eth0/.test(e)),
    f[0]!.evidence.join('\n'),
  );
  assert.match(f[0]!.fix, /sysctl -w net\.ipv4\.conf\.vxlan\/calico\.rp_filter=2/);
});

test('loose mode on the tunnel → nothing', () => {
  assert.deepEqual(run(node({ 'net.ipv4.conf.vxlan/calico.rp_filter': '2' }, false)), []);
});

test('strict on a second uplink the default route does not use → rp-filter-strict-ingress', () => {
  const f = run(node({ 'net.ipv4.conf.eth1.rp_filter': '1' }, true));
  assert.deepEqual(
    f.map((x) => `${x.id}:${x.node}`),
    ['rp-filter-strict-ingress:node-b'],
  );
  assert.match(f[0]!.summary, /eth1 on node-b is in strict rp_filter mode/);
});

test('strict on the uplink that is the way back → nothing', () => {
  assert.deepEqual(run(node({ 'net.ipv4.conf.eth0.rp_filter': '1' }, true)), []);
});
