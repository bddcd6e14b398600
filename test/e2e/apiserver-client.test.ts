// netcheck's REST client and object lists against the API server double, over HTTPS.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError, KubeClient } from '../../src/collect/kube/client.ts';
import { apiErrorMessage } from '../../src/collect/kube/errors.ts';
import { loadClusterAccess } from '../../src/collect/kube/kubeconfig.ts';
import { listObjects } from '../../src/collect/kube/objects.ts';
import { ApiServerDouble } from '../apiserver/server.ts';

describe('REST client against the double', () => {
  let d: ApiServerDouble;
  let v3: ApiServerDouble;
  const dir = mkdtempSync(join(tmpdir(), 'netcheck-client-'));
  before(async () => {
    d = await ApiServerDouble.start({ nodes: [{ name: 'node-a' }], calico: 'crd' });
    v3 = await ApiServerDouble.start({ nodes: [{ name: 'node-a' }], calico: 'v3', cilium: true });
  });
  after(async () => {
    await d.close();
    await v3.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lists page through continue tokens', async () => {
    for (let i = 0; i < 1203; i++)
      d.seed('', 'v1', 'services', {
        metadata: { name: `svc-${String(i).padStart(4, '0')}`, namespace: 'default' },
        spec: { clusterIP: '10.96.0.1' },
      });
    const c = new KubeClient(loadClusterAccess({ kubeconfig: d.kubeconfigPath }));
    try {
      const items = await c.list('/api/v1/services');
      assert.equal(items.length, 1203);
      assert.equal(d.log.filter((l) => l.path.startsWith('/api/v1/services?')).length, 3);
      assert.equal(items[0]?.['kind'], undefined, 'list items come as the server sends them');
    } finally {
      c.close();
    }
  });

  test('Calico v3 first, the CRDs when v3 is not served; missing kinds are warnings', async () => {
    d.seed('crd.projectcalico.org', 'v1', 'ippools', {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16', ipipMode: 'Always' },
    });
    d.seed('', 'v1', 'configmaps', {
      metadata: { name: 'kube-proxy', namespace: 'kube-system' },
      data: { 'config.conf': 'mode: ipvs' },
    });
    d.seed('', 'v1', 'configmaps', { metadata: { name: 'unrelated', namespace: 'kube-system' }, data: {} });
    const c = new KubeClient(loadClusterAccess({ kubeconfig: d.kubeconfigPath }));
    try {
      const r = await listObjects(c);
      assert.deepEqual(
        r.objects.ipPools.map((p) => (p['metadata'] as { name: string }).name),
        ['default-ipv4-ippool'],
      );
      assert.deepEqual(
        r.objects.configMaps.map((p) => (p['metadata'] as { name: string }).name),
        ['kube-proxy'],
      );
      assert.deepEqual(r.warnings, ['ciliumNodes: this cluster does not serve ciliumnodes.cilium.io; none collected']);
      assert.ok(
        d.log.some((l) => l.path.startsWith('/apis/projectcalico.org/v3/ippools')),
        'tried v3 first',
      );
    } finally {
      c.close();
    }
    v3.seed('projectcalico.org', 'v3', 'ippools', {
      apiVersion: 'projectcalico.org/v3',
      kind: 'IPPool',
      metadata: { name: 'v3-pool' },
      spec: { cidr: '10.245.0.0/16' },
    });
    const c3 = new KubeClient(loadClusterAccess({ kubeconfig: v3.kubeconfigPath }));
    try {
      const r = await listObjects(c3);
      assert.deepEqual(
        r.objects.ipPools.map((p) => (p['metadata'] as { name: string }).name),
        ['v3-pool'],
      );
      assert.deepEqual(r.warnings, []);
    } finally {
      c3.close();
    }
  });

  test('in-cluster service account with a bearer token; a wrong token is a 401 sentence', async () => {
    const root = join(dir, 'pod');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), d.token);
    writeFileSync(join(sa, 'ca.crt'), d.pki.caCert);
    const env = { HOME: dir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(d.port) };
    const c = new KubeClient(loadClusterAccess({ env, inClusterRoot: root }));
    try {
      assert.equal((await c.list('/api/v1/nodes')).length, 1);
      assert.equal(d.log.at(-1)?.user, 'netcheck-e2e-token');
    } finally {
      c.close();
    }
    writeFileSync(join(sa, 'token'), 'wrong');
    const bad = new KubeClient(loadClusterAccess({ env, inClusterRoot: root }));
    try {
      await assert.rejects(
        bad.list('/api/v1/nodes'),
        (e: unknown) =>
          e instanceof ApiError &&
          /^the API server rejected the credentials of user "inClusterUser" \(401 Unauthorized\)/.test(
            apiErrorMessage(e, 'inClusterUser'),
          ),
      );
    } finally {
      bad.close();
    }
  });

  test('a server that never answers hits --request-timeout', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const cfg = join(dir, 'silent.yaml');
    writeFileSync(
      cfg,
      `apiVersion: v1\nkind: Config\ncurrent-context: s\nclusters: [{name: s, cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: s, context: {cluster: s, user: u}}]\n`,
    );
    const c = new KubeClient(loadClusterAccess({ kubeconfig: cfg, requestTimeout: '300ms' }));
    try {
      await assert.rejects(c.list('/api/v1/nodes'), (e: unknown) => (e as { errCode?: string }).errCode === 'TIMEOUT');
    } finally {
      c.close();
      silent.close();
    }
  });
});
