// The CNI modules (src/model/cni/): which IPAM each mode means and which source names the pod
// ranges, the release read from an agent's image, and the registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterInfo } from '../../../src/model/cluster.ts';
import { activeCniConfig } from '../../../src/model/cni/common.ts';
import { CNI_MODULES } from '../../../src/model/cni/index.ts';
import { imageRelease } from '../../../src/model/cni/version.ts';
import { detectFlavour } from '../../../src/model/detect.ts';
import { buildModel } from '../../../src/model/model.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { emptyObjects } from '../../../src/snapshot/types.ts';
import type { KubeObject, SnapshotObjects } from '../../../src/snapshot/types.ts';

const node = (name: string, podCIDR: string): KubeObject => ({
  kind: 'Node',
  apiVersion: 'v1',
  metadata: { name },
  spec: { podCIDR, podCIDRs: [podCIDR] },
  status: { addresses: [{ type: 'InternalIP', address: '192.168.1.11' }] },
});
const cm = (name: string, data: Record<string, string>): KubeObject => ({
  kind: 'ConfigMap',
  apiVersion: 'v1',
  metadata: { name, namespace: 'kube-system' },
  data,
});

function flavourOf(o: Partial<SnapshotObjects>) {
  return detectFlavour(clusterInfo({ ...emptyObjects(), ...o }), []);
}

test('the release in an agent image tag', () => {
  assert.deepEqual(imageRelease('quay.io/cilium/cilium:v1.11.1'), { major: 1, minor: 11 });
  assert.deepEqual(imageRelease('quay.io/cilium/cilium:v1.15.6@sha256:6aa840'), { major: 1, minor: 15 });
  assert.deepEqual(imageRelease('registry.local:5000/cilium/cilium:1.14.0-rc.1'), { major: 1, minor: 14 });
  assert.equal(imageRelease('registry.local:5000/cilium/cilium'), undefined);
  assert.equal(imageRelease('quay.io/cilium/cilium:latest'), undefined);
});

test('Cilium ipam: kubernetes takes node.spec.podCIDR; cluster-pool takes CiliumNode and ignores it', () => {
  const nodes = [node('n1', '10.244.0.0/24')];
  const k8s = flavourOf({ nodes, configMaps: [cm('cilium-config', { ipam: 'kubernetes' })] });
  assert.equal(k8s.ipam.value, 'kubernetes');
  assert.equal(k8s.usesNodePodCidr, true);
  assert.deepEqual(
    k8s.podRanges.map((r) => r.source),
    ['Node n1: spec.podCIDR 10.244.0.0/24'],
  );
  const ciliumNodes: KubeObject[] = [
    {
      kind: 'CiliumNode',
      apiVersion: 'cilium.io/v2',
      metadata: { name: 'n1' },
      spec: { ipam: { podCIDRs: ['10.0.1.0/24'] } },
    },
  ];
  const pool = flavourOf({ nodes, ciliumNodes, configMaps: [cm('cilium-config', { ipam: 'cluster-pool' })] });
  assert.equal(pool.usesNodePodCidr, false);
  assert.deepEqual(
    pool.podRanges.map((r) => `${r.node} ${r.cidr} ${r.source}`),
    ['n1 10.0.1.0/24 CiliumNode n1: spec.ipam.podCIDRs 10.0.1.0/24'],
  );
  // No ipam key: the mode is not guessed.
  assert.equal(flavourOf({ nodes, configMaps: [cm('cilium-config', {})] }).ipam.value, 'unknown');
});

test('Calico with host-local usePodCidr takes node.spec.podCIDR (from the conflist the runtime uses)', async () => {
  const m = buildModel(await readSnapshot('examples/kubeadm-calico-vxlan.json'));
  const hosts = [...m.hosts.values()];
  // A lexically earlier file is the one containerd and CRI-O load.
  const calico = hosts[0]!.cni[0]!.plugins[0]!;
  hosts[0]!.cni.push({
    path: '/etc/cni/net.d/00-calico.conflist',
    plugins: [{ ...calico, ipamType: 'host-local', ipamSubnets: ['usePodCidr'] }],
    raw: '',
  });
  const f = detectFlavour(m.cluster, hosts);
  assert.equal(f.ipam.value, 'host-local (usePodCidr)');
  assert.equal(f.usesNodePodCidr, true);
  assert.deepEqual(
    f.podRanges.map((r) => r.cidr),
    ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24'],
  );
  // Without it: calico-ipam, the BlockAffinities.
  const plain = detectFlavour(m.cluster, [
    ...buildModel(await readSnapshot('examples/kubeadm-calico-vxlan.json')).hosts.values(),
  ]);
  assert.equal(plain.ipam.value, 'calico-ipam');
  assert.deepEqual(
    plain.podRanges.map((r) => r.cidr),
    ['10.65.0.0/26', '10.65.0.64/26', '10.65.0.128/26'],
  );
});

test("k3s flannel is recognised without ConfigMaps, its conflist read from k3s's CNI conf dir", async () => {
  const m = buildModel(await readSnapshot('examples/k3s-flannel.json'));
  const f = detectFlavour(m.cluster, [...m.hosts.values()]);
  assert.deepEqual([f.cni.value, f.encapsulation.value, f.proxy.value], ['flannel', 'vxlan', 'iptables']);
  assert.equal(f.usesNodePodCidr, true);
  for (const h of m.hosts.values()) {
    assert.equal(activeCniConfig(h)?.path, '/var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
    assert.deepEqual(
      activeCniConfig(h)?.plugins.map((p) => p.type),
      ['flannel', 'portmap', 'bandwidth'],
    );
  }
});

test("on a k3s node the runtime's configuration is k3s's, even when /etc/cni/net.d sorts first", async () => {
  const snap = await readSnapshot('examples/k3s-flannel.json');
  const entry = snap.hosts['node-a']!;
  // A leftover of another installer in /etc/cni/net.d: k3s's containerd never reads it.
  entry.sections['file:/etc/cni/net.d/05-cilium.conflist'] = fixture('cni/05-cilium.conflist');
  delete entry.errors['file:/etc/cni/net.d'];
  const h = buildModel(snap).hosts.get('node-a')!;
  assert.equal(h.cni.length, 2);
  assert.equal(activeCniConfig(h)?.path, '/var/lib/rancher/k3s/agent/etc/cni/net.d/10-flannel.conflist');
});

test('every module has a unique name; combined modules come before the ones they combine', () => {
  const names = CNI_MODULES.map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
  for (const [i, m] of CNI_MODULES.entries())
    for (const c of m.combines ?? []) assert.ok(names.indexOf(c) > i, `${m.name} must precede ${c}`);
});
