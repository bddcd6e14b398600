// kube-router's module (src/model/cni/kube-router.ts) on the captured healthy kubeadm + kube-router
// lab (examples/kubeadm-kube-router.json), with its agents' flags and its nodes' tunnels changed
// the ways kube-router's options and tunnels allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterInfo } from '../../../src/model/cluster.ts';
import { detectFlavour } from '../../../src/model/detect.ts';
import { buildModel } from '../../../src/model/model.ts';
import type { HostState, Link } from '../../../src/model/types.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

const model = buildModel(await readSnapshot('examples/kubeadm-kube-router.json'));
const hosts = [...model.hosts.values()];

/** The cluster with every kube-router agent's args replaced (undefined: no args listed). */
function withArgs(args: string[] | undefined): ClusterInfo {
  return {
    ...model.cluster,
    pods: model.cluster.pods.map((p) => {
      if (!p.name.startsWith('kube-router-')) return p;
      const q = { ...p };
      if (args === undefined) delete q.args;
      else q.args = args;
      return q;
    }),
  };
}

/** node-a with one more device: kube-router's tunnel to a peer in another subnet. */
function withTunnel(raw: string): HostState[] {
  const [a, ...rest] = hosts;
  const tun: Link = {
    index: 99,
    name: 'tun-4b3d1a9c0e2',
    kind: 'ipip',
    infoKind: 'ipip',
    mtu: 1480,
    up: true,
    operState: 'UNKNOWN',
    raw,
  };
  return [{ ...a!, links: [...a!.links, tun] }, ...rest];
}

test('the healthy kube-router lab: detected with its evidence, podCIDR IPAM, direct routes, iptables netpol', () => {
  const f = detectFlavour(model.cluster, hosts);
  assert.equal(f.cni.value, 'kube-router');
  assert.deepEqual(f.cni.because, [
    'ConfigMap kube-router-cfg',
    '3 kube-router pod(s)',
    'bridge plugin on kube-bridge in /etc/cni/net.d/10-kuberouter.conflist on node-a',
  ]);
  assert.equal(f.ipam.value, 'host-local (node.spec.podCIDR)');
  assert.equal(f.usesNodePodCidr, true);
  assert.deepEqual(
    f.podRanges.map((r) => `${r.node} ${r.cidr}`),
    ['node-a 10.244.0.0/24', 'node-b 10.244.1.0/24', 'node-c 10.244.2.0/24'],
  );
  assert.equal(f.encapsulation.value, 'none');
  assert.match(f.encapsulation.because.at(-1)!, /no tun-\* device on any of the 3 nodes/);
  assert.equal(f.dataplane?.value, 'iptables');
  assert.equal(f.module?.networkPolicy.ipBlockMatchesPods, true);
});

test("kube-router's flags decide the encapsulation, in each of pflag's forms", () => {
  const enc = (args: string[], h: readonly HostState[] = hosts) => detectFlavour(withArgs(args), h).encapsulation;
  assert.deepEqual(enc(['--enable-overlay=false']).value, 'none');
  assert.equal(enc(['--overlay-type=full']).value, 'ipip');
  assert.equal(enc(['--overlay-type', 'full']).value, 'ipip');
  assert.deepEqual(enc(['--overlay-type', 'full']).because.slice(1, 2), [
    'Pod kube-system/kube-router-adffa: --overlay-type full',
  ]);
  // FOU wraps IPIP in UDP, which the engine does not walk.
  const fou = enc(['--overlay-type=full', '--overlay-encap=fou']);
  assert.equal(fou.value, 'unknown');
  assert.match(fou.because.join('\n'), /--overlay-encap=fou[\s\S]*not modelled/);
  // With one node not probed, "no tunnel anywhere" is not known.
  assert.equal(enc([], hosts.slice(1)).value, 'unknown');
  // A tunnel to a peer on another subnet: IPIP.
  assert.equal(enc([], withTunnel('{"ifname":"tun-4b3d1a9c0e2"}')).value, 'ipip');
});

test("without the agents' args the tunnels answer, and a FOU tunnel is unknown", () => {
  const cluster = withArgs(undefined);
  assert.equal(detectFlavour(cluster, hosts).encapsulation.value, 'unknown');
  const ipip = detectFlavour(cluster, withTunnel('{"ifname":"tun-4b3d1a9c0e2","linkinfo":{"info_kind":"ipip"}}'));
  assert.deepEqual(ipip.encapsulation, { value: 'ipip', because: ['tun-4b3d1a9c0e2 (ipip) on node-a'] });
  // iproute2 ip/tunnel.c tnl_print_encap: "encap":{"type":"fou",...} in the tunnel's info_data.
  const fou = detectFlavour(
    cluster,
    withTunnel(
      '{"ifname":"tun-4b3d1a9c0e2","linkinfo":{"info_kind":"ipip","info_data":{"proto":"ipip","remote":"10.0.2.5","encap":{"type":"fou","sport":0,"dport":5555,"csum":false,"csum6":false,"remcsum":false}}}}',
    ),
  );
  assert.equal(fou.encapsulation.value, 'unknown');
  assert.equal(detectFlavour(cluster, hosts).dataplane, undefined);
});

test('--use-nftables-for-netpol (bare boolean flag) means the nftables policy dataplane', () => {
  const f = detectFlavour(withArgs(['--run-firewall=true', '--use-nftables-for-netpol']), hosts);
  assert.deepEqual(f.dataplane, {
    value: 'nftables',
    because: ['Pod kube-system/kube-router-adffa: --use-nftables-for-netpol'],
  });
});
