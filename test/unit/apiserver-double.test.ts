// The API server double must reject what kube-apiserver rejects, with its wording; otherwise the
// end-to-end tests would pass against a server more lenient than the real one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probeNamespaceManifest, probePodManifest } from '../../src/collect/kube/probe-pod.ts';
import type { KubeObject } from '../../src/snapshot/types.ts';
import { enforcePolicy, podSecurityViolation } from '../apiserver/admission.ts';
import {
  invalidMessage,
  parseQuantity,
  strictDecodeError,
  validateNamespace,
  validatePod,
} from '../apiserver/schema.ts';
import { parseLabelSelector } from '../apiserver/selectors.ts';

const probe = (): KubeObject =>
  probePodManifest({
    node: 'node-a',
    namespace: 'netcheck',
    image: 'nicolaka/netshoot:v0.13',
    imagePullSecrets: ['regcred'],
    runId: 'abc123',
    deadlineSeconds: 600,
    owner: 'h/1',
    now: new Date(0),
  });

const clone = <T>(o: T): T => structuredClone(o);

describe('strict decoding (400)', () => {
  test('the probe pod and namespace decode cleanly', () => {
    assert.equal(strictDecodeError(probe(), 'V1Pod', 'Pod', 'v1'), undefined);
    assert.equal(strictDecodeError(probeNamespaceManifest('netcheck'), 'V1Namespace', 'Namespace', 'v1'), undefined);
  });

  test('unknown fields are listed with their paths, as a strict server does', () => {
    const p = clone(probe()) as Record<string, Record<string, unknown>>;
    p['spec']!['hostNetwrok'] = true;
    (p['spec']!['containers'] as Record<string, unknown>[])[0]!['volumeMount'] = [];
    p['metadata']!['region'] = 'eu';
    assert.equal(
      strictDecodeError(p, 'V1Pod', 'Pod', 'v1'),
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "metadata.region", unknown field "spec.containers[0].volumeMount", unknown field "spec.hostNetwrok"',
    );
  });

  test('wrong JSON types are Go unmarshal errors', () => {
    const p = clone(probe()) as Record<string, Record<string, unknown>>;
    p['spec']!['hostPID'] = 'true';
    assert.equal(
      strictDecodeError(p, 'V1Pod', 'Pod', 'v1'),
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.hostPID of type bool',
    );
    const q = clone(probe()) as Record<string, Record<string, unknown>>;
    q['spec']!['activeDeadlineSeconds'] = 1.5;
    assert.match(
      strictDecodeError(q, 'V1Pod', 'Pod', 'v1') ?? '',
      /cannot unmarshal number into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64/,
    );
  });

  test('resource quantities must parse', () => {
    const p = clone(probe()) as { spec: { containers: { resources: { limits: Record<string, unknown> } }[] } };
    p.spec.containers[0]!.resources.limits['memory'] = '512 MB';
    assert.match(strictDecodeError(p, 'V1Pod', 'Pod', 'v1') ?? '', /quantities must match the regular expression/);
    assert.equal(parseQuantity('512Mi'), 512 * 2 ** 20);
    assert.equal(parseQuantity('10m'), 0.01);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
    assert.equal(parseQuantity('12abc'), undefined);
  });
});

describe('validation (422)', () => {
  test('the probe pod and namespace are valid', () => {
    assert.deepEqual(validatePod(probe(), 'netcheck'), []);
    assert.deepEqual(validateNamespace(probeNamespaceManifest('netcheck')), []);
  });

  test('names, labels and required fields as core/validation words them', () => {
    const p = clone(probe()) as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { containers: Record<string, unknown>[] };
    };
    p.metadata.name = 'Probe_A';
    p.metadata.labels['bad key!'] = 'x';
    p.metadata.labels['ok'] = 'not ok!';
    delete p.spec.containers[0]!['image'];
    const errs = validatePod(p, 'netcheck');
    assert.deepEqual(
      errs.map((e) => `${e.field}: ${e.reason}`),
      [
        'metadata.name: FieldValueInvalid',
        'metadata.labels: FieldValueInvalid',
        'metadata.labels: FieldValueInvalid',
        'spec.containers[0].image: FieldValueRequired',
      ],
    );
    const msg = invalidMessage('Pod', 'Probe_A', errs);
    assert.match(
      msg,
      /^Pod "Probe_A" is invalid: \[metadata\.name: Invalid value: "Probe_A": a lowercase RFC 1123 subdomain must consist of/,
    );
    assert.match(msg, /spec\.containers\[0\]\.image: Required value\]$/);
  });

  test('enums, tolerations, requests above limits', () => {
    const p = clone(probe()) as {
      spec: Record<string, unknown> & { containers: { resources: { requests: Record<string, string> } }[] };
    };
    p.spec['restartPolicy'] = 'Sometimes';
    p.spec['tolerations'] = [
      { operator: 'Exists', value: 'x' },
      { key: 'a', operator: 'Equal', effect: 'NoSchedule', tolerationSeconds: 5 },
    ];
    p.spec.containers[0]!.resources.requests['cpu'] = '2';
    const msgs = validatePod(p, 'netcheck').map((e) => `${e.field}: ${e.message}`);
    assert.ok(
      msgs.includes(
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.includes(
        'spec.tolerations[0].operator: Invalid value: "x": value must be empty when `operator` is \'Exists\'',
      ),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => m.startsWith('spec.tolerations[1].effect: Invalid value')),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.includes(
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ),
      msgs.join('\n'),
    );
  });

  test('namespace names are DNS-1123 labels', () => {
    assert.match(
      validateNamespace(probeNamespaceManifest('a.b'))[0]?.message ?? '',
      /a lowercase RFC 1123 label must consist/,
    );
  });
});

describe('Pod Security admission', () => {
  test('restricted rejects the probe pod with the real message', () => {
    const spec = probe()['spec'] as never;
    assert.equal(
      podSecurityViolation(spec, enforcePolicy({}, 'restricted')),
      'violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true), privileged (container "probe" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "probe" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "probe" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "probe" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "probe" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  test('baseline rejects host namespaces and privileged; privileged admits', () => {
    const spec = probe()['spec'] as never;
    assert.equal(
      podSecurityViolation(
        spec,
        enforcePolicy(
          { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' },
          'restricted',
        ),
      ),
      'violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true, hostPID=true), privileged (container "probe" must not set securityContext.privileged=true)',
    );
    const ns = probeNamespaceManifest('netcheck') as { metadata: { labels: Record<string, string> } };
    assert.equal(podSecurityViolation(spec, enforcePolicy(ns.metadata.labels, 'restricted')), undefined);
  });

  test('a compliant pod passes restricted', () => {
    const spec = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        { name: 'app', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      ],
    };
    assert.equal(podSecurityViolation(spec, enforcePolicy({}, 'restricted')), undefined);
  });
});

describe('label selectors', () => {
  const match = (sel: string, labels: Record<string, string>) => {
    const reqs = parseLabelSelector(sel);
    assert.ok(typeof reqs !== 'string', String(reqs));
    return reqs.every((r) => r(labels));
  };
  test('equality and set-based requirements', () => {
    const l = { app: 'probe', tier: 'x' };
    assert.ok(match('app=probe,tier', l));
    assert.ok(!match('app!=probe', l));
    assert.ok(match('tier in (x, y),!missing', l));
    assert.ok(!match('tier notin (x)', l));
    assert.equal(typeof parseLabelSelector('app=(bad'), 'string');
  });
});
