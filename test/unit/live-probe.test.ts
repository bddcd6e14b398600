import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isStaleProbePod } from '../../src/collect/kube/cleanup.ts';
import { ApiError, TransportError, requestInfo } from '../../src/collect/kube/client.ts';
import { apiErrorMessage, transportMessage } from '../../src/collect/kube/errors.ts';
import { exitCodeOfStatus } from '../../src/collect/kube/exec.ts';
import {
  DEFAULT_PROBE_IMAGE,
  parseBatch,
  probePodManifest,
  probePodName,
  shellQuote,
} from '../../src/collect/kube/probe-pod.ts';
import { podState } from '../../src/collect/kube/probe-runner.ts';
import { chooseTargets, dryRunManifests, nodeUnavailable } from '../../src/collect/live-source.ts';
import { InputError } from '../../src/lib/errors.ts';
import type { KubeObject } from '../../src/snapshot/types.ts';

const manifest = (node = 'node-a', now = new Date('2026-01-01T00:00:00Z')) =>
  probePodManifest({
    node,
    namespace: 'netcheck',
    image: DEFAULT_PROBE_IMAGE,
    imagePullSecrets: [],
    runId: 'abc123',
    deadlineSeconds: 600,
    owner: 'laptop/4242',
    now,
  });

describe('probe pod manifest', () => {
  test('pinned, privileged, host namespaces, every taint, no token, limits, deadline, labels', () => {
    const m = manifest() as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
    };
    assert.equal(m.spec['nodeName'], 'node-a');
    assert.equal(m.spec['hostNetwork'], true);
    assert.equal(m.spec['hostPID'], true);
    assert.equal(m.spec['automountServiceAccountToken'], false);
    assert.deepEqual(m.spec['tolerations'], [{ operator: 'Exists' }]);
    assert.equal(m.spec['activeDeadlineSeconds'], 600);
    assert.deepEqual(m.spec.containers[0]!['securityContext'], { privileged: true });
    assert.deepEqual((m.spec.containers[0]!['resources'] as { limits: unknown }).limits, { cpu: '1', memory: '512Mi' });
    assert.equal(m.metadata.labels['app.kubernetes.io/managed-by'], 'netcheck');
    assert.equal(m.metadata.annotations['netcheck.dev/expires-at'], '2026-01-01T00:10:00.000Z');
  });

  test('pod names are short DNS-1123 labels even for long, dotted node names, and unique per node', () => {
    const long = `ip-10-0-0-1.eu-west-1.compute.internal.${'x'.repeat(200)}`;
    const a = probePodName(long, 'abc123');
    assert.match(a, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(a.length <= 63, a);
    assert.notEqual(probePodName(`${long}a`, 'abc123'), probePodName(`${long}b`, 'abc123'));
    assert.equal(probePodName('Node_A', 'r1'), `netcheck-r1-node-a-${probePodName('Node_A', 'r1').split('-').pop()}`);
  });

  test('dry run prints the namespace, one pod per node and the commands', () => {
    const y = dryRunManifests(['n1', 'n2']);
    assert.equal((y.match(/^kind: Pod$/gm) ?? []).length, 2);
    assert.equal((y.match(/^kind: Namespace$/gm) ?? []).length, 1);
    assert.match(y, /# {3}nft -j list ruleset/);
    // k3s's containerd reads its CNI configuration from its own data dir, and the script lists it.
    assert.match(y, /^# {3}\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d\/\*\{\.conf,\.conflist,\.json\} /m);
    assert.match(y, /^# {3}\| .*\/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d/m);
    assert.doesNotMatch(dryRunManifests(['n1'], { probeNamespace: 'ops' }), /kind: Namespace/);
  });
});

describe('batch framing', () => {
  test('byte-counted command output, listings, base64 files and errno codes', () => {
    const out = Buffer.concat([
      Buffer.from('@@netcheck C ip-addr 0 6 0\n'),
      Buffer.from('a\n@@ne'),
      Buffer.from('@@netcheck C ipvsadm 2 0 5\nfail\n'),
      Buffer.from(
        '@@netcheck D OK /etc/cni/net.d\n10-calico.conflist\n.x\n.\n@@netcheck F OK /run/a b.env\naGVsbG8K\n.\n@@netcheck F ENOENT /nope\n.\n',
      ),
    ]);
    const r = parseBatch(out);
    assert.deepEqual(r.commands.get('ip-addr'), { code: 0, stdout: 'a\n@@ne', stderr: '' });
    assert.deepEqual(r.commands.get('ipvsadm'), { code: 2, stdout: '', stderr: 'fail\n' });
    assert.deepEqual(r.records, [
      { type: 'D', code: 'OK', path: '/etc/cni/net.d', lines: ['10-calico.conflist', '.x'] },
      { type: 'F', code: 'OK', path: '/run/a b.env', lines: ['aGVsbG8K'] },
      { type: 'F', code: 'ENOENT', path: '/nope', lines: [] },
    ]);
  });

  test('shell quoting', () => {
    assert.equal(shellQuote('ip'), 'ip');
    assert.equal(shellQuote('^net\\.(ipv4|bridge)\\.'), "'^net\\.(ipv4|bridge)\\.'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });
});

describe('pod status', () => {
  const pod = (status: unknown): KubeObject => ({ status });
  test('running, pending with the reason, pull failures with the fix', () => {
    assert.deepEqual(
      podState(pod({ phase: 'Running', containerStatuses: [{ name: 'probe', state: { running: {} } }] }), 'n', 'img'),
      { state: 'running' },
    );
    assert.deepEqual(
      podState(
        pod({
          phase: 'Pending',
          containerStatuses: [{ name: 'probe', state: { waiting: { reason: 'ContainerCreating' } } }],
        }),
        'n',
        'img',
      ),
      {
        state: 'pending',
        why: 'ContainerCreating',
      },
    );
    const s = podState(
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'probe',
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img"' } },
          },
        ],
      }),
      'n',
      'img',
    );
    assert.equal(s.state, 'failed');
    assert.match(
      s.state === 'failed' ? s.message : '',
      /^node n cannot pull the probe image "img" \(ImagePullBackOff: Back-off pulling image "img"\); .*--image/,
    );
    const f = podState(pod({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' }), 'n', 'img');
    assert.match(
      f.state === 'failed' ? f.message : '',
      /stopped before netcheck could use it \(DeadlineExceeded: too long\)/,
    );
  });

  test('exec status: exit codes from NonZeroExitCode causes', () => {
    assert.equal(exitCodeOfStatus({ status: 'Success' }), 0);
    assert.equal(
      exitCodeOfStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '127' }] },
      }),
      127,
    );
    assert.equal(exitCodeOfStatus({ status: 'Failure', reason: 'InternalError' }), null);
  });
});

describe('nodes to probe', () => {
  const node = (name: string, ready: string): KubeObject => ({
    metadata: { name },
    status: {
      conditions: [{ type: 'Ready', status: ready, reason: 'KubeletNotReady', message: 'PLEG is not healthy' }],
    },
  });
  test('NotReady nodes are named with the reason; unknown --nodes are a usage error', () => {
    assert.equal(nodeUnavailable(node('a', 'True')), undefined);
    assert.equal(
      nodeUnavailable(node('b', 'False')),
      'node b is NotReady (KubeletNotReady: PLEG is not healthy), so no probe pod can run there and its state is left out; fix the node, or leave it out with --nodes',
    );
    const targets = chooseTargets([node('b', 'False'), node('a', 'True')], undefined, true);
    assert.deepEqual(
      targets.map((t) => [t.name, t.unavailable !== undefined]),
      [
        ['a', false],
        ['b', true],
      ],
    );
    assert.throws(
      () => chooseTargets([node('a', 'True')], ['zz'], true),
      (e: unknown) => e instanceof InputError && /no such node: zz \(nodes: a\)/.test(e.message),
    );
    assert.deepEqual(
      chooseTargets([], ['zz'], false).map((t) => t.name),
      ['zz'],
    );
  });
});

describe('stale probe pods', () => {
  const now = new Date('2026-01-01T00:05:00Z');
  const withStatus = (phase: string) => ({ ...manifest(), status: { phase } });
  test('finished, expired, or owned by a dead process on this host', () => {
    assert.equal(isStaleProbePod(withStatus('Running'), now, 'other-host'), false);
    assert.equal(isStaleProbePod(withStatus('Failed'), now, 'other-host'), true);
    assert.equal(isStaleProbePod(withStatus('Running'), new Date('2026-01-01T00:11:00Z'), 'other-host'), true);
    assert.equal(
      isStaleProbePod(withStatus('Running'), now, 'laptop', () => false),
      true,
    );
    assert.equal(
      isStaleProbePod(withStatus('Running'), now, 'laptop', () => true),
      false,
    );
    assert.equal(isStaleProbePod({ metadata: { name: 'x' }, status: { phase: 'Failed' } }, now), false);
  });
});

describe('error sentences', () => {
  test('RBAC denial names the verb and the resource', () => {
    const e = new ApiError(
      403,
      {
        message:
          'ippools.crd.projectcalico.org is forbidden: User "u" cannot list resource "ippools" in API group "crd.projectcalico.org" at the cluster scope',
      },
      '',
      requestInfo('GET', '/apis/crd.projectcalico.org/v1/ippools'),
    );
    assert.match(
      apiErrorMessage(e, 'u'),
      /^user "u" may not list ippools\.crd\.projectcalico\.org at cluster scope \(RBAC: .*\); ask a cluster admin to grant "list" on "ippools\.crd\.projectcalico\.org"$/,
    );
    const ex = requestInfo('GET', '/api/v1/namespaces/netcheck/pods/p/exec');
    assert.deepEqual([ex.verb, ex.resource, ex.namespace], ['create', 'pods/exec', 'netcheck']);
    assert.deepEqual(
      [requestInfo('DELETE', '/api/v1/namespaces/n/pods/p').verb, requestInfo('POST', '/api/v1/namespaces').verb],
      ['delete', 'create'],
    );
  });

  test('exec denial asks for get and create on pods/exec (servers before 1.35 authorize WebSocket exec as get)', () => {
    const e = new ApiError(
      403,
      {
        message:
          'pods "p" is forbidden: User "u" cannot get resource "pods/exec" in API group "" in the namespace "netcheck"',
      },
      '',
      requestInfo('GET', '/api/v1/namespaces/netcheck/pods/p/exec'),
    );
    assert.match(
      apiErrorMessage(e, 'u'),
      /^user "u" may not exec into pods in namespace "netcheck" .*grant "get" and "create" on "pods\/exec"/,
    );
  });

  test('transport failures say what to check', () => {
    const info = requestInfo('GET', '/api/v1/nodes');
    assert.match(
      transportMessage(new TransportError('ECONNREFUSED', 'x', info), 'https://k:6443', 30_000),
      /^cannot reach the API server at https:\/\/k:6443: connection refused;/,
    );
    assert.match(
      transportMessage(new TransportError('TIMEOUT', 'x', info), 'https://k:6443', 30_000),
      /did not answer within 30 s; .*--request-timeout/,
    );
    assert.match(
      transportMessage(new TransportError('DEPTH_ZERO_SELF_SIGNED_CERT', 'x', info), 'https://k:6443', 30_000),
      /failed TLS verification/,
    );
  });
});
