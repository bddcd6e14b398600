// CNI, encapsulation and kube-proxy mode from the objects and the nodes' state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterInfo } from '../../../src/model/cluster.ts';
import { detectFlavour } from '../../../src/model/detect.ts';
import { buildModel } from '../../../src/model/model.ts';
import { emptyObjects } from '../../../src/snapshot/types.ts';
import type { KubeObject } from '../../../src/snapshot/types.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';
import { readFileSync } from 'node:fs';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { host } from '../engine/model-builder.ts';
import { ruleset } from '../netfilter/helpers.ts';

const cm = (name: string, data: Record<string, string>, namespace = 'kube-system'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});
const pool = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'IPPool',
  metadata: { name },
  spec,
});

function flavour(objs: Partial<Record<'configMaps' | 'ipPools' | 'pods', KubeObject[]>>) {
  const o = emptyObjects();
  Object.assign(o, objs);
  return detectFlavour(clusterInfo(o), []);
}

test('Calico IPIP, VXLAN and BGP from the IPPools', () => {
  assert.equal(
    flavour({ ipPools: [pool('p', { cidr: '10.0.0.0/16', ipipMode: 'Always', vxlanMode: 'Never' })] }).encapsulation
      .value,
    'ipip',
  );
  assert.equal(
    flavour({ ipPools: [pool('p', { cidr: '10.0.0.0/16', ipipMode: 'Never', vxlanMode: 'CrossSubnet' })] })
      .encapsulation.value,
    'vxlan',
  );
  const bgp = flavour({ ipPools: [pool('p', { cidr: '10.0.0.0/16', ipipMode: 'Never', vxlanMode: 'Never' })] });
  assert.equal(bgp.cni.value, 'calico');
  assert.equal(bgp.encapsulation.value, 'none');
});

test('Canal is Calico and flannel together; flannel backend from net-conf.json', () => {
  const f = flavour({
    ipPools: [pool('p', { cidr: '10.1.0.0/16' })],
    configMaps: [cm('canal-config', { 'net-conf.json': '{"Network":"10.1.0.0/16","Backend":{"Type":"vxlan"}}' })],
  });
  assert.equal(f.cni.value, 'canal');
  const fl = flavour({
    configMaps: [
      cm(
        'kube-flannel-cfg',
        { 'net-conf.json': '{ "Network": "10.244.0.0/16", "Backend": { "Type": "host-gw" } }' },
        'kube-flannel',
      ),
    ],
  });
  assert.equal(fl.cni.value, 'flannel');
  assert.equal(fl.encapsulation.value, 'none');
});

test('Cilium: native routing, tunnel, kube-proxy replacement', () => {
  const native = flavour({
    configMaps: [cm('cilium-config', { 'routing-mode': 'native', 'kube-proxy-replacement': 'true' })],
  });
  assert.equal(native.cni.value, 'cilium');
  assert.equal(native.encapsulation.value, 'none');
  assert.equal(native.proxy.value, 'ebpf');
  assert.equal(flavour({ configMaps: [cm('cilium-config', { tunnel: 'vxlan' })] }).encapsulation.value, 'vxlan');
  assert.equal(flavour({ configMaps: [cm('cilium-config', { tunnel: 'disabled' })] }).encapsulation.value, 'none');
});

test('kube-proxy mode from its ConfigMap: empty means iptables; ipvs; nftables', () => {
  const mode = (m: string) =>
    flavour({
      configMaps: [
        cm('kube-proxy', {
          'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "${m}"\n`,
        }),
      ],
    }).proxy;
  assert.equal(mode('').value, 'iptables');
  assert.equal(mode('ipvs').value, 'ipvs');
  assert.equal(mode('nftables').value, 'nftables');
  assert.match(mode('ipvs').because[0]!, /ConfigMap kube-proxy: mode: "ipvs"/);
});

test('from node state alone: the captured example (vxlan.calico; kube-proxy iptables rules)', async () => {
  const m = buildModel(await readSnapshot('examples/healthy.json'));
  const o = emptyObjects();
  const f = detectFlavour(clusterInfo(o), [...m.hosts.values()]);
  // The lab nodes carry kube-proxy's iptables-mode chains (KUBE-SERVICES) and no kube-ipvs0.
  assert.equal(f.proxy.value, 'iptables');
  assert.equal(f.encapsulation.value, 'vxlan');
  assert.deepEqual(f.tunnelDevices, ['vxlan.calico']);
});

test('kube-proxy nftables mode from the rules alone: its native table on a node', () => {
  const text = readFileSync(
    new URL('../../fixtures/netfilter/output/kube-proxy-nftables.nft.json', import.meta.url),
    'utf8',
  );
  const node = host('node-a', {});
  node.nft = parseNftJson(text).value;
  const f = detectFlavour(clusterInfo(emptyObjects()), [node]);
  assert.equal(f.proxy.value, 'nftables');
  assert.deepEqual(f.proxy.because, ['nftables table kube-proxy on the nodes']);
  // The same node with only iptables-nft's tables (kube-proxy iptables mode) is not nftables mode.
  node.nft = parseNftJson(
    readFileSync(new URL('../../fixtures/netfilter/output/kube-proxy.iptables-nft.nft.json', import.meta.url), 'utf8'),
  ).value;
  assert.notEqual(detectFlavour(clusterInfo(emptyObjects()), [node]).proxy.value, 'nftables');
});

test("Calico's dataplane: felix's native table on a node, else FelixConfiguration nftablesMode; iptables-nft's cali chains are iptables", () => {
  const nftOf = (f: string) =>
    parseNftJson(readFileSync(new URL(`../../fixtures/netfilter/output/${f}`, import.meta.url), 'utf8')).value;
  const felixConfig = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec,
  });
  const calico = (felix: KubeObject[]) => {
    const o = emptyObjects();
    o.ipPools = [pool('p', { cidr: '192.168.0.0/16', vxlanMode: 'Always' })];
    o.felixConfigurations = felix;
    return clusterInfo(o);
  };
  const node = host('node-a', {});
  node.nft = nftOf('calico-nftables.nft.json');
  assert.deepEqual(detectFlavour(calico([]), [node]).dataplane, {
    value: 'nftables',
    because: ['nftables table ip calico on node-a'],
  });
  // felix through iptables-nft: its chains are in iptables' own tables, the dataplane is iptables.
  const ipt = host('node-a', {});
  ipt.iptables = [ruleset('netfilter/output/calico.iptables-nft-save.txt', 'nft')];
  assert.equal(detectFlavour(calico([]), [ipt]).dataplane?.value, 'iptables');
  // No node state: the FelixConfiguration says.
  assert.deepEqual(detectFlavour(calico([felixConfig({ nftablesMode: 'Enabled' })]), []).dataplane, {
    value: 'nftables',
    because: ['FelixConfiguration default: nftablesMode: Enabled'],
  });
  assert.equal(detectFlavour(calico([felixConfig({ nftablesMode: 'Auto' })]), []).dataplane, undefined);
  assert.equal(detectFlavour(calico([felixConfig({ bpfEnabled: true })]), [node]).dataplane?.value, 'ebpf');
});
