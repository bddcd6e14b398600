// What each CNI module decides, on the healthy installer examples (examples/, captured from the
// lab) and on broken variants of them: the IPAM mode in the cluster line, which source names a
// node's pod range, pod-side devices recognised whatever their names, and renamed Cilium keys
// judged by the running release.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisContext } from '../../../src/checks/context.ts';
import type { Finding } from '../../../src/checks/finding.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { buildModel } from '../../../src/model/model.ts';
import { paint } from '../../../src/report/colour.ts';
import { renderTable } from '../../../src/report/table.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import type { KubeObject, Snapshot } from '../../../src/snapshot/types.ts';

async function example(name: string): Promise<Snapshot> {
  return readSnapshot(`examples/${name}.json`);
}

function problems(snap: Snapshot): Finding[] {
  return doctor(analysisContext(buildModel(snap))).findings.filter((f) => f.severity !== 'info');
}

/** Removes the routes for `dst` from a node's `ip -j route` section. */
function dropRoute(snap: Snapshot, node: string, dst: string): void {
  const e = snap.hosts[node]!;
  const routes = JSON.parse(e.sections['ip-route']!) as { dst: string }[];
  const kept = routes.filter((r) => r.dst !== dst);
  assert.equal(kept.length, routes.length - 1, `${node} has one route for ${dst}`);
  e.sections['ip-route'] = JSON.stringify(kept);
}

/** Renames a device in every section of a node (addresses, routes, sysctls, rules). */
function renameDevice(snap: Snapshot, node: string, from: string, to: string): void {
  const e = snap.hosts[node]!;
  const re = new RegExp(`(?<![\\w.-])${from.replace('.', '\\.')}(?![\\w-])`, 'g');
  for (const k of Object.keys(e.sections)) e.sections[k] = e.sections[k]!.replace(re, to);
}

test('the cluster line names the CNI and its IPAM mode', async () => {
  const want: Record<string, [string, string]> = {
    'kubeadm-calico-vxlan': ['calico', 'calico-ipam'],
    'kubeadm-calico-ipip': ['calico', 'calico-ipam'],
    'kubeadm-flannel': ['flannel', 'host-local (flannel subnet.env)'],
    'k3s-flannel': ['flannel', 'host-local (flannel subnet.env)'],
    'canal-healthy': ['canal', 'host-local'],
    'cilium-kubernetes': ['cilium', 'kubernetes'],
    'cilium-cluster-pool': ['cilium', 'cluster-pool'],
    'kubeadm-kube-router': ['kube-router', 'host-local (node.spec.podCIDR)'],
  };
  for (const [name, [cni, ipam]] of Object.entries(want)) {
    const d = doctor(analysisContext(buildModel(await example(name))));
    assert.deepEqual([d.cluster.cni, d.cluster.ipam], [cni, ipam], name);
    assert.match(
      renderTable(d, paint(false), 120),
      new RegExp(`CNI ${cni} \\(IPAM ${ipam.replace(/[()]/g, '\\$&')}\\)`),
      name,
    );
  }
});

test('kubeadm + Calico: a missing route is named by its BlockAffinity, not by the unused podCIDR', async () => {
  const snap = await example('kubeadm-calico-vxlan');
  dropRoute(snap, 'node-a', '10.65.0.128/26');
  const got = problems(snap);
  assert.deepEqual(
    got.map((f) => `${f.id}@${f.node}`),
    ['missing-pod-route@node-a'],
    JSON.stringify(got, null, 1),
  );
  assert.ok(got[0]!.evidence.includes('BlockAffinity node-c: cidr 10.65.0.128/26'), got[0]!.evidence.join('\n'));
});

test('Cilium cluster-pool: pod ranges come from CiliumNode; kubeadm podCIDRs are no claim', async () => {
  const snap = await example('cilium-cluster-pool');
  dropRoute(snap, 'node-a', '10.0.3.0/24');
  const got = problems(snap);
  assert.deepEqual(
    got.map((f) => `${f.id}@${f.node}`),
    ['missing-pod-route@node-a'],
    JSON.stringify(got, null, 1),
  );
  assert.ok(
    got[0]!.evidence.includes('CiliumNode node-c: spec.ipam.podCIDRs 10.0.3.0/24'),
    got[0]!.evidence.join('\n'),
  );
});

test('Cilium ipam: kubernetes: node.spec.podCIDR is the pod range, so one that disagrees is named', async () => {
  const snap = await example('cilium-kubernetes');
  const node = snap.objects.nodes.find((n) => (n['metadata'] as { name: string }).name === 'node-c')!;
  node['spec'] = { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] };
  const got = problems(snap).filter((f) => f.id === 'pod-subnet-mismatch');
  assert.equal(got.length, 1, JSON.stringify(problems(snap), null, 1));
  assert.equal(got[0]!.node, 'node-c');
  assert.ok(
    got[0]!.evidence.some((l) => /Node node-c: spec\.podCIDR 10\.244\.7\.0\/24/.test(l)),
    got[0]!.evidence.join('\n'),
  );
});

test('kubeadm + flannel: a subnet.env lease that disagrees with podCIDR, cni0 and the pods is named', async () => {
  const snap = await example('kubeadm-flannel');
  const e = snap.hosts['node-c']!;
  e.sections['file:/run/flannel/subnet.env'] = e.sections['file:/run/flannel/subnet.env']!.replace(
    'FLANNEL_SUBNET=10.244.2.1/24',
    'FLANNEL_SUBNET=10.244.9.1/24',
  );
  const got = problems(snap).filter((f) => f.id === 'pod-subnet-mismatch');
  assert.deepEqual(
    got.map((f) => f.node),
    ['node-c'],
  );
  assert.ok(got[0]!.evidence.includes('differs: node-c: /run/flannel/subnet.env FLANNEL_SUBNET=10.244.9.1/24'));
  assert.ok(
    got[0]!.evidence.some((l) => /^agrees: node-c: inet 10\.244\.2\.1\/24 .*dev cni0$/.test(l)),
    got[0]!.evidence.join('\n'),
  );
});

test('a CNI bridge named otherwise (rk-cni0, cbr0) holding the pods’ gateway is no overlap with the pod network', async () => {
  const snap = await example('kubeadm-flannel');
  for (const n of ['node-a', 'node-b', 'node-c']) renameDevice(snap, n, 'cni0', n === 'node-b' ? 'cbr0' : 'rk-cni0');
  assert.deepEqual(problems(snap), []);
  // Without pods on it, the bridge still holds the first address of the node's own podCIDR.
  snap.objects.pods = snap.objects.pods.filter(
    (p: KubeObject) => (p['spec'] as { nodeName?: string }).nodeName !== 'node-a',
  );
  assert.deepEqual(problems(snap), []);
});

test('an uplink address inside the pod network is still an overlap', async () => {
  const snap = await example('kubeadm-flannel');
  const e = snap.hosts['node-b']!;
  const addrs = JSON.parse(e.sections['ip-addr']!) as { ifname: string; addr_info: Record<string, unknown>[] }[];
  const eth0 = addrs.find((l) => l.ifname === 'eth0')!;
  eth0.addr_info.push({ ...eth0.addr_info.find((a) => a['family'] === 'inet')!, local: '10.244.200.1', prefixlen: 24 });
  e.sections['ip-addr'] = JSON.stringify(addrs);
  const got = problems(snap).filter((f) => f.id === 'ippool-overlap');
  assert.equal(got.length, 1, JSON.stringify(problems(snap), null, 1));
  assert.ok(
    got[0]!.evidence.some((l) => /^node-b: inet 10\.244\.200\.1\/24 .*dev eth0/.test(l)),
    got[0]!.evidence.join('\n'),
  );
});

/** pod-egress-masquerade's cilium-config with `data` changed, and the agent image when given. */
async function ciliumConfig(data: Record<string, string | undefined>, image?: string): Promise<Finding[]> {
  const snap = await example('pod-egress-masquerade');
  const cm = snap.objects.configMaps.find((c) => (c['metadata'] as { name: string }).name === 'cilium-config')!;
  const d = cm['data'] as Record<string, string>;
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) delete d[k];
    else d[k] = v;
  }
  if (image !== undefined)
    snap.objects.pods.push({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: 'cilium-x7k2p', namespace: 'kube-system', labels: { 'k8s-app': 'cilium' } },
      spec: { nodeName: 'node-a', hostNetwork: true, containers: [{ name: 'cilium-agent', image }] },
      status: { phase: 'Running', podIP: '192.168.1.11' },
    });
  return problems(snap).filter((f) => f.id === 'masquerade-config-ignored');
}

test('Cilium: a deprecated key that agrees with the current one is not flagged', async () => {
  assert.deepEqual(await ciliumConfig({}), []);
  assert.deepEqual(await ciliumConfig({}, 'quay.io/cilium/cilium:v1.11.1'), []);
});

test('Cilium: a deprecated key that disagrees with the current one is flagged, whatever the release', async () => {
  const got = await ciliumConfig({ masquerade: 'false' });
  assert.equal(got.length, 1);
  assert.match(
    got[0]!.summary,
    /masquerade: "false" and enable-ipv4-masquerade: "true": only enable-ipv4-masquerade counts/,
  );
  assert.ok(
    got[0]!.evidence.some((l) => /running version: ≥ 1\.11 \(cilium-config sets ipv4-native-routing-cidr/.test(l)),
  );
});

test('Cilium: the old key alone is what releases before the rename read, and what 1.10 still reads', async () => {
  const only = { masquerade: 'false', 'enable-ipv4-masquerade': undefined, 'ipv4-native-routing-cidr': undefined };
  assert.deepEqual(await ciliumConfig(only, 'quay.io/cilium/cilium:v1.8.1'), []);
  assert.deepEqual(await ciliumConfig(only, 'quay.io/cilium/cilium:v1.10.4@sha256:0123'), []);
  assert.deepEqual(await ciliumConfig(only), [], 'release unknown: nothing says the key is ignored');
});

test('Cilium: the old key alone on a release that no longer reads it is flagged when it differs from the default', async () => {
  const only = { masquerade: 'false', 'enable-ipv4-masquerade': undefined, 'ipv4-native-routing-cidr': undefined };
  const got = await ciliumConfig(only, 'quay.io/cilium/cilium:v1.11.1');
  assert.deepEqual(
    got.map((f) => f.evidence[0]),
    [
      'ConfigMap kube-system/cilium-config: masquerade: "false"',
      'ConfigMap kube-system/cilium-config: native-routing-cidr: "10.0.0.0/16"',
    ].slice(0, 1),
  );
  assert.match(got[0]!.summary, /no longer reads: enable-ipv4-masquerade is not set, so its default true applies/);
  assert.ok(
    got[0]!.evidence.includes(
      'running version: 1.11 (Pod kube-system/cilium-x7k2p: image quay.io/cilium/cilium:v1.11.1)',
    ),
  );
  // masquerade: "true" is the default anyway: nothing to warn about.
  assert.deepEqual(await ciliumConfig({ ...only, masquerade: 'true' }, 'quay.io/cilium/cilium:v1.11.1'), []);
  // native-routing-cidr alone is still read by 1.11 (deprecated), no longer by 1.12.
  const cidr = await ciliumConfig(only, 'quay.io/cilium/cilium:v1.12.0');
  assert.deepEqual(
    cidr.map((f) => f.evidence[0]),
    [
      'ConfigMap kube-system/cilium-config: masquerade: "false"',
      'ConfigMap kube-system/cilium-config: native-routing-cidr: "10.0.0.0/16"',
    ],
  );
});
