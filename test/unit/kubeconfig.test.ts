import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  loadClusterAccess,
  parseRequestTimeout,
} from '../../src/collect/kube/kubeconfig.ts';
import { ClusterError, InputError } from '../../src/lib/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'netcheck-kc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

// Two files as a user has them: the same cluster and user names appear in both (kubectl keeps the
// first), and only the second names a current-context.
const first = file(
  'a/config',
  `apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.crt}
- name: shared
  cluster: {server: "https://first.example:6443"}
users:
- name: alice
  user: {token: first-token, client-certificate: certs/alice.crt}
contexts:
- name: prod
  context: {cluster: prod, user: alice, namespace: team-a}
- name: shared
  context: {cluster: shared, user: alice}
`,
);
const second = file(
  'b/config',
  `apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: shared
  cluster: {server: "https://second.example:6443"}
- name: staging
  cluster: {server: "https://10.0.0.2:6443"}
users:
- name: alice
  user: {token: second-token}
- name: bob
  user: {token: bob-token}
contexts:
- name: shared
  context: {cluster: staging, user: bob}
- name: staging
  context: {cluster: staging, user: bob}
`,
);

const env = (kubeconfig: string) => ({ KUBECONFIG: kubeconfig, HOME: dir });

describe('kubeconfig resolution (kubectl rules)', () => {
  test('KUBECONFIG files merge: first name wins, duplicates do not crash, first current-context wins', () => {
    const a = loadClusterAccess({ env: env([first, second].join(delimiter)) });
    assert.equal(a.contextName, 'staging');
    assert.equal(a.server, 'https://10.0.0.2:6443');
    assert.equal(a.userName, 'bob');
    const shared = loadClusterAccess({ env: env([first, second].join(delimiter)), context: 'shared' });
    assert.equal(shared.server, 'https://first.example:6443');
    assert.equal(shared.userName, 'alice');
    assert.equal(shared.kc.getCurrentUser()?.token, 'first-token');
  });

  test('missing files in KUBECONFIG are skipped, as kubectl does', () => {
    const a = loadClusterAccess({ env: env([join(dir, 'nope'), second].join(delimiter)) });
    assert.equal(a.contextName, 'staging');
  });

  test('relative certificate paths resolve against the file that names them', () => {
    const a = loadClusterAccess({ env: env(first), context: 'prod' });
    assert.equal(a.kc.getCurrentCluster()?.caFile, join(dir, 'a', 'ca.crt'));
    assert.equal(a.kc.getCurrentUser()?.certFile, join(dir, 'a', 'certs', 'alice.crt'));
  });

  test('-n beats the context namespace, which beats "default"', () => {
    assert.equal(loadClusterAccess({ env: env(first), context: 'prod' }).namespace, 'team-a');
    assert.equal(loadClusterAccess({ env: env(first), context: 'prod', namespace: 'x' }).namespace, 'x');
    assert.equal(loadClusterAccess({ env: env(first), context: 'shared' }).namespace, 'default');
  });

  test('--cluster and --user override the context', () => {
    const a = loadClusterAccess({
      env: env([first, second].join(delimiter)),
      context: 'prod',
      cluster: 'staging',
      user: 'bob',
    });
    assert.equal(a.server, 'https://10.0.0.2:6443');
    assert.equal(a.kc.getCurrentUser()?.token, 'bob-token');
  });

  test('--kubeconfig reads only that file', () => {
    assert.throws(
      () => loadClusterAccess({ env: env(second), kubeconfig: first }),
      /sets no current-context; pick one with --context \(contexts: prod, shared\)/,
    );
  });

  test('unknown context, cluster or user: a ClusterError naming what exists', () => {
    assert.throws(
      () => loadClusterAccess({ env: env(first), context: 'nope' }),
      (e: unknown) =>
        e instanceof ClusterError &&
        /context "nope" does not exist in KUBECONFIG=.*\(contexts: prod, shared\)/.test(e.message),
    );
    assert.throws(
      () => loadClusterAccess({ env: env(first), context: 'prod', cluster: 'gone' }),
      /cluster "gone" does not exist/,
    );
    assert.throws(
      () => loadClusterAccess({ env: env(first), context: 'prod', user: 'mallory' }),
      /user "mallory" \(--user\) does not exist/,
    );
  });

  test('nothing configured is an error, never http://localhost:8080', () => {
    const empty = mkdtempSync(join(dir, 'home-'));
    assert.throws(
      () => loadClusterAccess({ env: { HOME: empty } }),
      (e: unknown) => e instanceof ClusterError && /no kubeconfig found/.test(e.message) && !/8080/.test(e.message),
    );
    assert.throws(
      () => loadClusterAccess({ env: { HOME: empty, KUBECONFIG: join(empty, 'missing') } }),
      /none of the files in KUBECONFIG exists/,
    );
    assert.throws(
      () => loadClusterAccess({ env: { HOME: empty }, kubeconfig: join(empty, 'missing') }),
      /does not exist/,
    );
  });

  test('~/.kube/config when KUBECONFIG is unset', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    file(
      join(home.slice(dir.length + 1), '.kube', 'config'),
      `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: k, cluster: {server: "https://h:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n`,
    );
    assert.equal(loadClusterAccess({ env: { HOME: home } }).server, 'https://h:1');
  });

  test('in-cluster service account when no kubeconfig exists', () => {
    const root = mkdtempSync(join(dir, 'pod-'));
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'x');
    writeFileSync(join(sa, 'namespace'), 'monitoring\n');
    const home = mkdtempSync(join(dir, 'home-'));
    const a = loadClusterAccess({
      env: { HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      inClusterRoot: root,
    });
    assert.equal(a.server, 'https://10.96.0.1:443');
    assert.equal(a.namespace, 'monitoring');
    assert.equal(a.source, 'the in-cluster service account');
  });

  test('--request-timeout: kubectl syntax', () => {
    assert.equal(parseRequestTimeout('0'), 0);
    assert.equal(parseRequestTimeout('5'), 5000);
    assert.equal(parseRequestTimeout('30s'), 30_000);
    assert.equal(parseRequestTimeout('1m30s'), 90_000);
    assert.equal(parseRequestTimeout('500ms'), 500);
    assert.equal(parseRequestTimeout('1.5h'), 5_400_000);
    for (const bad of ['', 'abc', '10 s', '5x', 's']) assert.throws(() => parseRequestTimeout(bad), InputError, bad);
    assert.equal(loadClusterAccess({ env: env(second) }).requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
    assert.equal(loadClusterAccess({ env: env(second), requestTimeout: '2s' }).requestTimeoutMs, 2000);
  });
});
