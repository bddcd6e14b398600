// sysctl(8) prints a dot inside a device name as '/' (net.ipv4.conf.flannel/1.rp_filter), and the
// snapshot keeps keys as printed. The engine asks by device name (flannel.1, vxlan.calico): it must
// find them. Values from test/fixtures/ip/sysctl.txt (capture-ip.sh: all=0, default=1,
// eth0=2, flannel/1=1; ip_forward=1; cni0.forwarding=1, vethdown.forwarding=0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwarding, rpFilter } from '../../../src/engine/kernel/sysctl.ts';
import { parseSysctl } from '../../../src/model/parse/sysctl.ts';
import { fixture } from '../../helpers/fixtures.ts';

const sys = parseSysctl(fixture('ip/sysctl.txt')).value;

test('rp_filter of a device with a dot in its name is read from its slash key', () => {
  assert.equal(sys.get('net.ipv4.conf.flannel/1.rp_filter'), '1');
  const r = rpFilter(sys, 'flannel.1');
  assert.equal(r.value, 1);
  assert.deepEqual(r.lines, ['net.ipv4.conf.all.rp_filter = 0', 'net.ipv4.conf.flannel/1.rp_filter = 1']);
  assert.equal(rpFilter(sys, 'eth0').value, 2);
});

test('forwarding of a device with a dot in its name is its own, not a fallback', () => {
  assert.equal(forwarding(sys, 'flannel.1').lines[0], 'net.ipv4.conf.flannel/1.forwarding = 1');
  assert.equal(forwarding(sys, 'vethdown').value, 0);
});
