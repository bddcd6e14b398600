// The real CLI against the API server double answering every list with a failure (500, an HTML
// page from a proxy, 401), and against older API shapes: reading Nodes, Pods, Services or Service
// backends failing is a failure to collect (exit 3, one sentence naming the HTTP status), never a
// healthy empty cluster; optional kinds stay warnings. No node namespaces needed: no pod starts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readSnapshot } from '../../src/snapshot/io.ts';
import { runCli } from '../apiserver/run-cli.ts';
import { ApiServerDouble } from '../apiserver/server.ts';
import type { DoubleOptions, FaultAnswer } from '../apiserver/server.ts';

const FAULTS: { name: string; answer: FaultAnswer; says: RegExp }[] = [
  {
    name: '500 Status',
    answer: {
      code: 500,
      contentType: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'etcdserver: request timed out',
        reason: 'InternalError',
        code: 500,
      }),
    },
    says: /cannot collect nodes, which every analysis needs: the API server failed to list nodes at cluster scope \(500 InternalError: etcdserver: request timed out\); check its health/,
  },
  {
    name: 'HTML page (200)',
    answer: { code: 200, contentType: 'text/html', body: '<!doctype html><html><body>Sign in</body></html>' },
    says: /cannot collect nodes, which every analysis needs: the server answered 200 OK with an HTML page to list nodes \(GET \/api\/v1\/nodes\), so it is not the Kubernetes API answering; check the server URL/,
  },
  {
    name: 'HTML page (502)',
    answer: { code: 502, contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' },
    says: /the server answered 502 Bad Gateway with an HTML page to list nodes/,
  },
  {
    name: '401 Status',
    answer: {
      code: 401,
      contentType: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      }),
    },
    says: /cannot collect nodes, which every analysis needs: the API server rejected the credentials of user "netcheck-e2e" \(401 Unauthorized\)/,
  },
];

describe('list failures and older API shapes (API server double)', { concurrency: false }, () => {
  let dir: string;
  const doubles: ApiServerDouble[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'netcheck-faults-'));
  });
  after(async () => {
    for (const d of doubles) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  async function double(extra: Partial<DoubleOptions> = {}): Promise<ApiServerDouble> {
    const d = await ApiServerDouble.start({ nodes: [{ name: 'node-a', internalIP: '10.0.0.1' }], ...extra });
    doubles.push(d);
    return d;
  }

  for (const f of FAULTS) {
    test(`${f.name} to every list: every command exits 3 with one sentence; no snapshot written`, async () => {
      const d = await double();
      d.onRequest = (method, path) => (method === 'GET' && /^\/apis?\//.test(path) ? f.answer : undefined);
      const file = join(dir, `${f.answer.code}.json`);
      const runs = [
        ['doctor'],
        ['externalip', '-A'],
        ['collect', '-o', file],
        ['pod-to-pod', 'default/a', 'default/b'],
      ];
      for (const args of runs) {
        const r = await runCli([...args, '--kubeconfig', d.kubeconfigPath]);
        assert.equal(r.code, 3, `${args[0]}: ${r.stdout}${r.stderr}`);
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
        assert.equal(errors.length, 1, r.stderr);
        assert.match(errors[0]!, f.says);
        assert.doesNotMatch(r.stdout, /HEALTHY/);
        assert.doesNotMatch(r.stderr, /no namespace/);
      }
      assert.equal(existsSync(file), false);
    });
  }

  test('only Pods failing (503) is a failure; only NetworkPolicies failing is a warning', async () => {
    const d = await double();
    const unavailable: FaultAnswer = {
      code: 503,
      contentType: 'application/json',
      body: JSON.stringify({
        kind: 'Status',
        message: 'the server is currently unable to handle the request',
        reason: 'ServiceUnavailable',
        code: 503,
      }),
    };
    d.onRequest = (method, path) => (method === 'GET' && path.startsWith('/api/v1/pods?') ? unavailable : undefined);
    const pods = await runCli([
      'collect',
      '-o',
      join(dir, 'pods.json'),
      '--objects-only',
      '--kubeconfig',
      d.kubeconfigPath,
    ]);
    assert.equal(pods.code, 3, pods.stderr);
    assert.match(
      pods.stderr,
      /error: cannot collect pods, which every analysis needs: the API server failed to list pods at cluster scope \(503 ServiceUnavailable/,
    );
    d.onRequest = (method, path) =>
      method === 'GET' && path.startsWith('/apis/networking.k8s.io/v1/networkpolicies?') ? unavailable : undefined;
    const np = await runCli([
      'collect',
      '-o',
      join(dir, 'np.json'),
      '--objects-only',
      '--kubeconfig',
      d.kubeconfigPath,
    ]);
    assert.equal(np.code, 0, np.stderr);
    assert.match(
      np.stderr,
      /warning: networkPolicies: not collected: the API server failed to list networkpolicies\.networking\.k8s\.io at cluster scope \(503/,
    );
  });

  test('EndpointSlices served as v1beta1 (1.17-1.24) are read, with the node from topology', async () => {
    const d = await double({ endpointSlices: 'v1beta1' });
    d.seed('discovery.k8s.io', 'v1beta1', 'endpointslices', {
      metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.65.1.5'], conditions: { ready: true }, topology: { 'kubernetes.io/hostname': 'node-a' } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
    const file = join(dir, 'v1beta1.json');
    const r = await runCli(['collect', '-o', file, '--objects-only', '--kubeconfig', d.kubeconfigPath]);
    assert.equal(r.code, 0, r.stderr);
    const snap = await readSnapshot(file);
    const slice = snap.objects.endpointSlices[0]!;
    assert.equal(slice['apiVersion'], 'discovery.k8s.io/v1');
    assert.deepEqual((slice['endpoints'] as unknown[])[0], {
      addresses: ['10.65.1.5'],
      conditions: { ready: true },
      nodeName: 'node-a',
      deprecatedTopology: { 'kubernetes.io/hostname': 'node-a' },
    });
    assert.doesNotMatch(r.stderr, /endpointSlices/);
  });

  test('no EndpointSlices served: core Endpoints become slices, ready and not-ready', async () => {
    const d = await double({ endpointSlices: 'none' });
    d.seed('', 'v1', 'endpoints', {
      metadata: { name: 'web', namespace: 'default' },
      subsets: [
        {
          addresses: [
            { ip: '10.65.1.5', nodeName: 'node-a', targetRef: { kind: 'Pod', name: 'web-0', namespace: 'default' } },
          ],
          notReadyAddresses: [{ ip: '10.65.1.6', nodeName: 'node-a' }],
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
      ],
    });
    const file = join(dir, 'endpoints.json');
    const r = await runCli(['collect', '-o', file, '--objects-only', '--kubeconfig', d.kubeconfigPath]);
    assert.equal(r.code, 0, r.stderr);
    const snap = await readSnapshot(file);
    assert.equal(snap.objects.endpointSlices.length, 1);
    const slice = snap.objects.endpointSlices[0]!;
    assert.equal((slice['metadata'] as { labels: Record<string, string> }).labels['kubernetes.io/service-name'], 'web');
    const eps = slice['endpoints'] as { addresses: string[]; conditions: { ready: boolean }; nodeName?: string }[];
    assert.deepEqual(
      eps.map((e) => [e.addresses[0], e.conditions.ready, e.nodeName]),
      [
        ['10.65.1.5', true, 'node-a'],
        ['10.65.1.6', false, 'node-a'],
      ],
    );
    assert.deepEqual(slice['ports'], [{ port: 8080, protocol: 'TCP', name: 'http' }]);
  });

  test('EndpointSlices denied, Endpoints allowed: read from Endpoints, with a warning naming the denial', async () => {
    const d = await double();
    d.forbid({ verb: 'list', resource: 'endpointslices.discovery.k8s.io' });
    const r = await runCli([
      'collect',
      '-o',
      join(dir, 'denied.json'),
      '--objects-only',
      '--kubeconfig',
      d.kubeconfigPath,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /warning: endpointSlices: read from \/api\/v1\/endpoints because user "netcheck-e2e" may not list endpointslices\.discovery\.k8s\.io/,
    );
  });

  test('delete on pods denied: refused before any probe pod is created', async () => {
    const d = await double();
    d.forbid({ verb: 'delete', resource: 'pods', namespace: 'netcheck' });
    const r = await runCli(['collect', '-o', join(dir, 'nodelete.json'), '--kubeconfig', d.kubeconfigPath]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /error: user "netcheck-e2e" may not delete pods in namespace "netcheck", so the probe pods would outlive the run and none was created/,
    );
    assert.ok(!d.log.some((l) => l.method === 'POST' && l.path.startsWith('/api/v1/namespaces/netcheck/pods')));
  });
});
