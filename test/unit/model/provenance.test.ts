// Provenance: an empty list from a section that was collected means "none"; from a section that
// failed, is absent or could not be parsed it means "not seen". buildHostState tells them apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHostState } from '../../../src/model/host.ts';
import { describeStatus, statusOf, unusableSections, usable } from '../../../src/model/provenance.ts';

const ROUTES = '[{"type":"unicast","dst":"default","gateway":"192.168.1.1","dev":"eth0","table":"main","flags":[]}]';

test('each section is collected, partial, unparseable, failed or absent', () => {
  const h = buildHostState('n', {
    sections: {
      'ip-route': ROUTES,
      'ip-rule': '{}',
      sysctl: 'net.ipv4.ip_forward = 1\nthis is not a sysctl line\n',
      'iptables-legacy-save': '',
    },
    errors: { 'ip-neigh': 'ip: not found', probe: 'partial' },
  });
  assert.equal(statusOf(h.provenance, 'ip-route').state, 'collected');
  assert.equal(statusOf(h.provenance, 'ip-rule').state, 'unparseable');
  assert.equal(statusOf(h.provenance, 'sysctl').state, 'partial');
  assert.equal(statusOf(h.provenance, 'iptables-legacy-save').state, 'collected', 'empty output of a tool is data');
  assert.deepEqual(statusOf(h.provenance, 'ip-neigh'), { state: 'failed', reason: 'ip: not found' });
  assert.equal(statusOf(h.provenance, 'bridge-fdb').state, 'absent');
  assert.deepEqual(
    unusableSections(h.provenance, ['ip-route', 'sysctl', 'ip-rule', 'ip-neigh', 'bridge-fdb']).map((x) => x.section),
    ['ip-rule', 'ip-neigh', 'bridge-fdb'],
  );
  assert.ok(usable(statusOf(h.provenance, 'sysctl')));
  assert.match(
    describeStatus('ip-neigh', statusOf(h.provenance, 'ip-neigh')),
    /could not be collected \(ip: not found\)/,
  );
});
