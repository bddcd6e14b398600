// deploy/rbac.yaml against the requests netcheck's collection code makes (objects.ts), and the
// rule matcher the e2e test uses against recorded API traffic, on requests it must refuse.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KIND_SOURCES, NETWORK_CONFIGMAPS } from '../../src/collect/kube/objects.ts';
import { allowed, clusterRoleRules } from '../helpers/rbac-grants.ts';

const rules = clusterRoleRules();

describe('deploy/rbac.yaml', () => {
  test('lists every kind the snapshot reads, at every path netcheck tries', () => {
    for (const k of KIND_SOURCES)
      for (const { path } of k.paths) assert.ok(allowed(rules, 'GET', `${path}?limit=500`), path);
  });
  test('reads the networking ConfigMaps by name, listed or got, and no other ConfigMap', () => {
    for (const cm of NETWORK_CONFIGMAPS) {
      assert.ok(
        allowed(rules, 'GET', `/api/v1/configmaps?fieldSelector=metadata.name%3D${cm.name}&limit=500`),
        cm.name,
      );
      for (const ns of cm.namespaces)
        assert.ok(allowed(rules, 'GET', `/api/v1/namespaces/${ns}/configmaps/${cm.name}`), `${ns}/${cm.name}`);
    }
    assert.equal(allowed(rules, 'GET', '/api/v1/configmaps?limit=500'), false);
    assert.equal(allowed(rules, 'GET', '/api/v1/namespaces/kube-system/configmaps/coredns'), false);
  });
  test('creates, execs into and deletes probe pods; exec is granted as get and as create', () => {
    assert.ok(allowed(rules, 'POST', '/api/v1/namespaces/netcheck/pods'));
    assert.ok(allowed(rules, 'DELETE', '/api/v1/namespaces/netcheck/pods/netcheck-probe-x'));
    assert.ok(allowed(rules, 'POST', '/api/v1/namespaces/netcheck/pods/p/exec'));
    assert.ok(
      rules.some((r) => r.resources?.includes('pods/exec') && r.verbs?.includes('get') && r.verbs.includes('create')),
    );
  });
  test('deletes only its own namespace, and grants no secrets, no updates, no writes elsewhere', () => {
    assert.ok(allowed(rules, 'DELETE', '/api/v1/namespaces/netcheck'));
    assert.equal(allowed(rules, 'DELETE', '/api/v1/namespaces/kube-system'), false);
    assert.equal(allowed(rules, 'GET', '/api/v1/secrets'), false);
    assert.equal(allowed(rules, 'PUT', '/api/v1/nodes/n1'), false);
    assert.equal(allowed(rules, 'POST', '/apis/networking.k8s.io/v1/namespaces/x/networkpolicies'), false);
  });
});
