// NetworkPolicy next to the datapath, on the examples captured from the lab (felix's real chain
// shapes, the kernel having enforced them): the objects' verdict must agree with the traced one
// for every pod pair; felix's comments name the policy; a CNI without a policy engine, a snapshot
// whose rules do not carry a policy, and a forgotten DNS egress rule are each said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisContext } from '../../../src/checks/context.ts';
import { parsePolicyComment } from '../../../src/model/cni/calico-felix.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import type { KubeObject, Snapshot } from '../../../src/snapshot/types.ts';
import { traceRun } from '../../helpers/queries.ts';

const PODS = ['default/client-0', 'default/web-0', 'default/web-1'];

async function ctxOf(example: string, edit: (s: Snapshot) => void = () => undefined) {
  const snap = await readSnapshot(`examples/${example}.json`);
  edit(snap);
  return analysisContext(buildModel(snap));
}

for (const example of ['networkpolicy-allow', 'networkpolicy-deny', 'healthy']) {
  test(`${example}: the NetworkPolicy objects and the iptables datapath agree on every pod pair`, async () => {
    const ctx = await ctxOf(example);
    const wrong: string[] = [];
    for (const a of PODS)
      for (const b of PODS.filter((x) => x !== a))
        for (const proto of ['udp', 'tcp'] as const) {
          const doc = traceRun(a, b, 8080, proto)(ctx);
          const delivered = doc.traces.some((t) => t.direction === 'forward' && t.verdict === 'delivered');
          const objects = doc.policy?.[0]?.verdict ?? 'allowed';
          if ((objects === 'allowed') !== delivered)
            wrong.push(
              `${a} → ${b} ${proto}: objects ${objects}, datapath ${delivered ? 'delivered' : 'not delivered'}`,
            );
          if (doc.findings.some((f) => f.id === 'networkpolicy-mismatch'))
            wrong.push(`${a} → ${b} ${proto}: mismatch reported`);
        }
    assert.deepEqual(wrong, []);
  });
}

test('felix policy comments, both shapes: ≤ v3.29 "Policy ns/knp.default.name", v3.30 "<Kind> ns/name"', () => {
  assert.deepEqual(parsePolicyComment('Policy default/knp.default.web-from-frontend ingress'), {
    kind: 'KubernetesNetworkPolicy',
    namespace: 'default',
    name: 'web-from-frontend',
    direction: 'ingress',
  });
  assert.deepEqual(parsePolicyComment('KubernetesNetworkPolicy shop/allow-db egress'), {
    kind: 'KubernetesNetworkPolicy',
    namespace: 'shop',
    name: 'allow-db',
    direction: 'egress',
  });
  assert.deepEqual(parsePolicyComment('Policy shop/default.allow-db ingress'), {
    kind: 'NetworkPolicy',
    namespace: 'shop',
    name: 'default.allow-db',
    direction: 'ingress',
  });
  assert.deepEqual(parsePolicyComment('Policy default.deny-all egress'), {
    kind: 'GlobalNetworkPolicy',
    name: 'default.deny-all',
    direction: 'egress',
  });
  assert.equal(parsePolicyComment('Profile kns.default ingress'), undefined);
  assert.equal(parsePolicyComment('Drop if no policies passed packet'), undefined);
});

const policy = (namespace: string, name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { namespace, name },
  spec,
});

test('flannel enforces no NetworkPolicy: a denying policy and a delivered flow are said as such', async () => {
  const ctx = await ctxOf('kubeadm-flannel', (s) => {
    s.objects.networkPolicies = [policy('default', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })];
  });
  const doc = traceRun('default/client-0', 'default/web-0', 8080)(ctx);
  assert.equal(doc.verdict, 'reachable');
  assert.deepEqual(
    doc.findings.filter((f) => f.severity !== 'info').map((f) => f.id),
    ['networkpolicy-not-enforced'],
  );
  assert.match(doc.findings[0]!.summary, /flannel has no policy engine/);
  assert.deepEqual(
    doc.policy?.map((p) => [p.verdict, p.datapath]),
    [['denied', 'delivered']],
  );
});

test('Canal: egress isolated without DNS, and a policy the node rules do not carry (felix not programming it)', async () => {
  const ctx = await ctxOf('canal-healthy', (s) => {
    s.objects.networkPolicies = [
      policy('default', 'api-egress-db', {
        podSelector: { matchLabels: { app: 'api' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }],
      }),
    ];
  });
  const doc = traceRun('default/api-0', 'default/api-1', 8080)(ctx);
  const ids = doc.findings.map((f) => `${f.id}@${f.node ?? '-'}`).sort();
  assert.deepEqual(ids, ['networkpolicy-dns-egress@node-c', 'networkpolicy-mismatch@node-b']);
  const dns = doc.findings.find((f) => f.id === 'networkpolicy-dns-egress')!;
  assert.match(
    dns.summary,
    /isolated for egress by default\/api-egress-db, and no egress rule allows udp\/53 to the cluster DNS \(kube-system\/coredns-5dd5756b68-7xq2k/,
  );
});
