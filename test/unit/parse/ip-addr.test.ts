// parseIpAddr on `ip -d -j addr show` captured by test/fixtures/capture-ip.sh; the expected values
// are the state that script builds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpAddr } from '../../../src/model/parse/ip-addr.ts';
import { renderLink } from '../../../src/model/render/iproute2.ts';
import type { Address, Link } from '../../../src/model/types.ts';
import { fixture } from '../../helpers/fixtures.ts';

const node = parseIpAddr(fixture('ip/ip-addr.json'));
const pod = parseIpAddr(fixture('ip/ip-addr-pod.json'));

function link(name: string, links: Link[] = node.value.links): Link {
  const l = links.find((x) => x.name === name);
  assert.ok(l, `link ${name}`);
  return l;
}

function addr(local: string): Address {
  const a = node.value.addresses.find((x) => x.local === local);
  assert.ok(a, `address ${local}`);
  return a;
}

describe('parseIpAddr: captured node namespace', () => {
  it('reads every link and address without warnings', () => {
    assert.deepEqual(node.warnings, []);
    assert.deepEqual(
      node.value.links.map((l) => l.name),
      [
        'lo',
        'eth0',
        'vethdown',
        'cni0',
        'vethpod1',
        'vethpod2',
        'flannel.1',
        'vxlan42',
        'vxlan43',
        'vxlanext',
        'hostveth1',
        'hostveth0',
      ],
    );
  });

  it('loopback', () => {
    const lo = link('lo');
    assert.equal(lo.kind, 'loopback');
    assert.equal(lo.index, 1);
    assert.equal(lo.mtu, 65536);
    assert.equal(lo.up, true);
    assert.equal(lo.infoKind, undefined);
  });

  it('veth whose peer is in another namespace: link_index and link_netnsid', () => {
    const eth0 = link('eth0');
    assert.equal(eth0.kind, 'veth');
    assert.equal(eth0.infoKind, 'veth');
    assert.equal(eth0.mac, '02:00:00:00:00:10');
    assert.equal(eth0.mtu, 1500);
    assert.equal(eth0.up, true);
    assert.equal(eth0.operState, 'UP');
    assert.equal(eth0.peerIndex, 2);
    assert.equal(eth0.linkNetnsId, 0);
    assert.equal(eth0.master, undefined);
  });

  it('a device set up whose carrier is down: up, but operstate DOWN', () => {
    const d = link('vethdown');
    assert.equal(d.up, true);
    assert.equal(d.operState, 'DOWN');
  });

  it('bridge and its ports', () => {
    const br = link('cni0');
    assert.equal(br.kind, 'bridge');
    assert.equal(br.mtu, 1450);
    assert.equal(br.mac, '02:00:00:00:01:01');
    for (const [name, netns] of [
      ['vethpod1', 1],
      ['vethpod2', 2],
    ] as const) {
      const port = link(name);
      assert.equal(port.kind, 'veth');
      assert.equal(port.master, 'cni0');
      assert.equal(port.slaveKind, 'bridge');
      assert.equal(port.mtu, 1450);
      assert.equal(port.linkNetnsId, netns);
      assert.equal(port.peerIndex, 2); // eth0 inside the pod
      // info_slave_data "hairpin": false, as the capture printed it; the bridge itself has none.
      assert.deepEqual(port.bridgePort, { hairpin: false });
    }
    assert.equal(br.bridgePort, undefined);
    // A bridge port's own switch: written back in ip -d link's words for the evidence.
    assert.match(renderLink(link('vethpod1')), /master cni0 .* bridge_slave hairpin off$/);
  });

  it('the pod side points back at the host port', () => {
    assert.deepEqual(pod.warnings, []);
    const podEth0 = link('eth0', pod.value.links);
    assert.equal(podEth0.index, 2);
    assert.equal(podEth0.peerIndex, link('vethpod1').index);
    assert.equal(podEth0.mac, '02:00:00:00:01:12');
    assert.deepEqual(
      pod.value.addresses.filter((a) => a.family === 'inet').map((a) => [a.dev, a.local, a.prefixLen]),
      [
        ['lo', '127.0.0.1', 8],
        ['eth0', '10.244.1.2', 24],
      ],
    );
  });

  it('veth pair inside one namespace: the peer named by "link" becomes its index', () => {
    const a = link('hostveth0');
    const b = link('hostveth1');
    assert.equal(a.peerIndex, b.index);
    assert.equal(b.peerIndex, a.index);
    assert.equal(a.linkNetnsId, undefined);
    assert.equal(a.up, false);
  });

  it('flannel.1 as flannel creates it', () => {
    const f = link('flannel.1');
    assert.equal(f.kind, 'vxlan');
    assert.equal(f.mtu, 1450);
    assert.deepEqual(f.vxlan, { vni: 1, port: 8472, learning: false, local: '192.168.50.10', link: 'eth0' });
  });

  it('vxlan with a multicast group, with a static remote, and in external mode', () => {
    assert.deepEqual(link('vxlan42').vxlan, { vni: 42, port: 4789, learning: true, group: '239.1.1.42', link: 'eth0' });
    assert.deepEqual(link('vxlan43').vxlan, {
      vni: 43,
      port: 4789,
      learning: true,
      local: '192.168.50.10',
      remote: '192.168.50.20',
    });
    assert.deepEqual(link('vxlanext').vxlan, { vni: 0, port: 8473, learning: false, external: true });
  });

  it('primary, secondary and labelled addresses', () => {
    const primary = addr('192.168.50.10');
    assert.deepEqual(
      { ...primary, raw: undefined },
      {
        dev: 'eth0',
        family: 'inet',
        local: '192.168.50.10',
        prefixLen: 24,
        scope: 'global',
        secondary: false,
        broadcast: '192.168.50.255',
        label: 'eth0',
        raw: undefined,
      },
    );
    assert.equal(addr('192.168.50.11').secondary, true);
    assert.equal(addr('192.168.50.11').label, 'eth0');
    assert.equal(addr('192.168.50.12').secondary, true);
    assert.equal(addr('192.168.50.12').label, 'eth0:vip');
    assert.equal(addr('192.168.50.12').broadcast, undefined);
  });

  it('point-to-point address: the peer', () => {
    const p = addr('10.99.0.1');
    assert.equal(p.peer, '10.99.0.2');
    assert.equal(p.prefixLen, 32);
    assert.equal(addr('192.168.50.10').peer, undefined);
  });

  it('IPv6 and the tunnel address', () => {
    const v6 = addr('fd00:50::10');
    assert.equal(v6.family, 'inet6');
    assert.equal(v6.prefixLen, 64);
    assert.equal(v6.scope, 'global');
    assert.equal(addr('fe80::ff:fe00:10').scope, 'link');
    assert.equal(addr('10.244.1.0').dev, 'flannel.1');
    assert.equal(addr('10.244.1.0').prefixLen, 32);
    assert.equal(addr('10.244.1.1').dev, 'cni0');
  });

  it('keeps each element as compact JSON', () => {
    const eth0 = link('eth0');
    assert.equal((JSON.parse(eth0.raw) as { ifname: string }).ifname, 'eth0');
    assert.ok(!/\s/.test(eth0.raw.replace(/"[^"]*"/g, '')));
    const a = addr('192.168.50.12');
    assert.equal((JSON.parse(a.raw) as { label: string }).label, 'eth0:vip');
  });
});

describe('parseIpAddr: IPIP (recorded output, see test/fixtures/SOURCES.md)', () => {
  // The kernel here has no IPIP module; this is tunl0 as iproute2's own commit recorded it.
  const r = parseIpAddr(fixture('ip/public/ipip-tunl0.json'));
  it('tunl0: kind ipip, endpoints "any" read as unset, no MAC', () => {
    assert.deepEqual(r.warnings, []);
    const t = link('tunl0', r.value.links);
    assert.equal(t.kind, 'ipip');
    assert.equal(t.infoKind, 'ipip');
    assert.deepEqual(t.ipip, {});
    assert.equal(t.mtu, 1480);
    assert.equal(t.up, false);
    assert.equal(t.operState, 'DOWN');
    assert.equal(t.mac, undefined);
    assert.equal(t.index, 10);
    assert.deepEqual(r.value.addresses, []);
  });
});

describe('parseIpAddr: dummy and macvlan (recorded output, see test/fixtures/SOURCES.md)', () => {
  it('dummy: kind dummy (kube-ipvs0 is one)', () => {
    const r = parseIpAddr(fixture('ip/public/dummy-bst.json'));
    assert.deepEqual(r.warnings, []);
    const d = link('dummy', r.value.links);
    assert.equal(d.kind, 'dummy');
    assert.equal(d.infoKind, 'dummy');
    assert.equal(d.up, true);
    assert.equal(d.mtu, 1500);
    assert.equal(d.operState, 'UNKNOWN');
    assert.equal(d.mac, undefined); // the recording stripped it
  });

  it('macvlan: another kind, and its link_index is a parent, not a veth peer', () => {
    const r = parseIpAddr(fixture('ip/public/macvlan-bst.json'));
    assert.deepEqual(r.warnings, []);
    const m = link('macvlan0', r.value.links);
    assert.equal(m.kind, 'other');
    assert.equal(m.infoKind, 'macvlan');
    assert.equal(m.peerIndex, undefined);
    assert.equal(m.linkNetnsId, undefined);
  });
});
