// The probe reads a namespace faithfully: build a node with known state (test/lab/harness), run
// the real probe inside it (probeLocal with every command under `ip netns exec`), parse the
// sections with src/model/parse, and compare the Model with the state that was built. iptables
// sections are only checked for the rules loaded (their parser has its own tests).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBridgeFdb } from '../../src/model/parse/bridge-fdb.ts';
import { parseCniConfig } from '../../src/model/parse/cni.ts';
import { parseFlannelSubnetEnv } from '../../src/model/parse/flannel-env.ts';
import { parseIpAddr } from '../../src/model/parse/ip-addr.ts';
import { parseIpNeigh } from '../../src/model/parse/ip-neigh.ts';
import { parseIpRoute } from '../../src/model/parse/ip-route.ts';
import { parseIpRule } from '../../src/model/parse/ip-rule.ts';
import { parseSysctl } from '../../src/model/parse/sysctl.ts';
import type { Parsed } from '../../src/model/types.ts';
import type { HostEntry } from '../../src/snapshot/types.ts';
import { fixture } from '../helpers/fixtures.ts';
import { host, labUnsupportedReason, link, mergeLabs, node, sharedLab, type Lab } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;

const CNI_PATH = '/etc/cni/net.d/10-canal.conflist';
const SUBNET_ENV = '/run/flannel/subnet.env';
const NFT_RULE = '-A POSTROUTING -s 10.244.7.0/24 ! -d 10.244.0.0/16 -j MASQUERADE';
const LEGACY_RULE = '-A FORWARD -s 10.244.0.0/16 -j ACCEPT';

/** A flannel-style node: uplink eth0 to a peer, cni0 with one pod, flannel.1 toward the peer. */
const topology: Lab = mergeLabs(
  node('node', {
    sysctls: {
      'net.ipv4.conf.eth0.rp_filter': '1',
      'net.ipv4.conf.flannel.1.rp_filter': '2',
      'net.ipv4.conf.cni0.forwarding': '1',
    },
    devices: [
      { kind: 'bridge', name: 'cni0', mac: '02:00:00:00:01:01', mtu: 1450 },
      {
        kind: 'vxlan',
        name: 'flannel.1',
        vni: 1,
        local: '192.168.77.10',
        dev: 'eth0',
        dstport: 8472,
        mac: '02:00:00:00:02:01',
        mtu: 1450,
      },
    ],
    addresses: ['192.168.77.11/24 dev eth0', '10.244.7.1/24 dev cni0', '10.244.7.0/32 dev flannel.1'],
    routes: [
      'default via 192.168.77.1 dev eth0 onlink',
      '10.244.8.0/24 via 10.244.8.0 dev flannel.1 onlink',
      'blackhole 10.244.9.0/24',
      '10.250.0.0/16 via 192.168.77.20 dev eth0 metric 50 proto static',
      'default via 192.168.77.20 dev eth0 table 100',
    ],
    rules: [
      'priority 100 from 10.244.7.0/24 lookup 100',
      'priority 101 fwmark 0x4000/0x4000 lookup 100',
      'priority 102 not to 10.244.0.0/16 iif cni0 blackhole',
    ],
    neighbors: ['10.244.8.0 lladdr 02:00:00:00:02:02 dev flannel.1 nud permanent'],
    fdb: ['02:00:00:00:02:02 dev flannel.1 dst 192.168.77.20 self permanent'],
    iptables: ['*nat', ':POSTROUTING ACCEPT [0:0]', NFT_RULE, 'COMMIT', ''].join('\n'),
    iptablesLegacy: ['*filter', ':FORWARD ACCEPT [0:0]', LEGACY_RULE, 'COMMIT', ''].join('\n'),
    files: { [CNI_PATH]: fixture('cni/10-canal-cdk.conflist'), [SUBNET_ENV]: fixture('flannel/subnet.env') },
  }),
  host('peer'),
  host('pod'),
  link(
    { host: 'node', dev: 'eth0', addr: '192.168.77.10/24', mac: '02:00:00:00:00:10' },
    { host: 'peer', dev: 'eth0', addr: '192.168.77.20/24', mac: '02:00:00:00:00:20' },
  ),
  link(
    { host: 'node', dev: 'vethpod', master: 'cni0', mac: '02:00:00:00:01:11' },
    { host: 'pod', dev: 'eth0', addr: '10.244.7.5/24', mac: '02:00:00:00:01:12' },
    { mtu: 1450 },
  ),
);

/** The parsed value, after checking that the section was collected and parsed cleanly. */
function section<T>(entry: HostEntry, name: string, parse: (text: string) => Parsed<T>): T {
  assert.equal(entry.errors[name], undefined, `section ${name} collected`);
  const text = entry.sections[name];
  assert.ok(text !== undefined && text !== '', `section ${name} has output`);
  const r = parse(text);
  assert.deepEqual(r.warnings, [], `section ${name} parsed without warnings`);
  return r.value;
}

describe('probe inside a namespace, parsed', { skip }, () => {
  let entry: HostEntry;
  const lab = sharedLab(topology, { prefix: 'probe' }, async (l) => {
    entry = await l.probe('node');
  });

  it('links: kinds, MTUs, masters, the VXLAN device, veth peers', async () => {
    const { links } = section(entry, 'ip-addr', parseIpAddr);
    const by = (n: string) => links.find((l) => l.name === n);
    assert.deepEqual(links.map((l) => l.name).sort(), ['cni0', 'eth0', 'flannel.1', 'lo', 'vethpod']);
    assert.equal(by('eth0')?.kind, 'veth');
    assert.equal(by('eth0')?.mac, '02:00:00:00:00:10');
    assert.equal(by('eth0')?.up, true);
    assert.equal(by('cni0')?.kind, 'bridge');
    assert.equal(by('cni0')?.mtu, 1450);
    assert.equal(by('vethpod')?.master, 'cni0');
    assert.equal(by('vethpod')?.mtu, 1450);
    assert.deepEqual(by('flannel.1')?.vxlan, {
      vni: 1,
      port: 8472,
      learning: false,
      local: '192.168.77.10',
      link: 'eth0',
    });
    // The pod's eth0 names vethpod as its peer, and vethpod names the pod's eth0.
    const podAddr = await lab().exec('pod', ['ip', '-d', '-j', 'addr', 'show']);
    const pod = parseIpAddr(podAddr?.stdout ?? '');
    const podEth0 = pod.value.links.find((l) => l.name === 'eth0');
    assert.equal(podEth0?.peerIndex, by('vethpod')?.index);
    assert.equal(by('vethpod')?.peerIndex, podEth0?.index);
  });

  it('addresses: primary and secondary, bridge, tunnel', () => {
    const { addresses } = section(entry, 'ip-addr', parseIpAddr);
    const rows = addresses
      .filter((a) => a.family === 'inet')
      .map((a) => [a.dev, `${a.local}/${a.prefixLen}`, a.secondary]);
    assert.deepEqual(sorted(rows), [
      ['cni0', '10.244.7.1/24', false],
      ['eth0', '192.168.77.10/24', false],
      ['eth0', '192.168.77.11/24', true],
      ['flannel.1', '10.244.7.0/32', false],
      ['lo', '127.0.0.1/8', false],
    ]);
  });

  it('routes: main and table 100, every type set up', () => {
    const routes = section(entry, 'ip-route', parseIpRoute);
    const summary = routes
      .filter((r) => r.family === 'inet' && r.table !== 255)
      .map((r) => [
        r.table,
        r.type,
        r.dst,
        r.gateway ?? '-',
        r.dev ?? '-',
        r.onlink,
        r.metric,
        r.protocol,
        r.prefsrc ?? '-',
      ]);
    assert.deepEqual(sorted(summary), [
      [100, 'unicast', '0.0.0.0/0', '192.168.77.20', 'eth0', false, 0, 'boot', '-'],
      [254, 'blackhole', '10.244.9.0/24', '-', '-', false, 0, 'boot', '-'],
      [254, 'unicast', '0.0.0.0/0', '192.168.77.1', 'eth0', true, 0, 'boot', '-'],
      [254, 'unicast', '10.244.7.0/24', '-', 'cni0', false, 0, 'kernel', '10.244.7.1'],
      [254, 'unicast', '10.244.8.0/24', '10.244.8.0', 'flannel.1', true, 0, 'boot', '-'],
      [254, 'unicast', '10.250.0.0/16', '192.168.77.20', 'eth0', false, 50, 'static', '-'],
      [254, 'unicast', '192.168.77.0/24', '-', 'eth0', false, 0, 'kernel', '192.168.77.10'],
    ]);
    const local = routes.find((r) => r.table === 255 && r.dst === '192.168.77.11/32');
    assert.equal(local?.type, 'local');
    assert.equal(local?.prefsrc, '192.168.77.10');
  });

  it('rules: priority order, selectors, actions', () => {
    const rules = section(entry, 'ip-rule', parseIpRule);
    assert.deepEqual(
      rules.map((r) => [
        r.priority,
        r.invert,
        r.src ?? '-',
        r.dst ?? '-',
        r.iif ?? '-',
        r.fwmark ?? '-',
        r.fwmask ?? '-',
        r.action,
        r.table ?? '-',
      ]),
      [
        [0, false, '-', '-', '-', '-', '-', 'table', 255],
        [100, false, '10.244.7.0/24', '-', '-', '-', '-', 'table', 100],
        [101, false, '-', '-', '-', 0x4000, 0x4000, 'table', 100],
        [102, true, '-', '10.244.0.0/16', 'cni0', '-', '-', 'blackhole', '-'],
        [32766, false, '-', '-', '-', '-', '-', 'table', 254],
        [32767, false, '-', '-', '-', '-', '-', 'table', 253],
      ],
    );
  });

  it("neighbours and fdb: flannel's entries for the peer", () => {
    const neigh = section(entry, 'ip-neigh', parseIpNeigh).find((n) => n.dev === 'flannel.1');
    assert.deepEqual(
      { ...neigh, raw: undefined },
      {
        dst: '10.244.8.0',
        dev: 'flannel.1',
        lladdr: '02:00:00:00:02:02',
        state: ['PERMANENT'],
        raw: undefined,
      },
    );
    const fdb = section(entry, 'bridge-fdb', parseBridgeFdb).filter((e) => e.dev === 'flannel.1');
    assert.deepEqual(
      fdb.map((e) => [e.mac, e.dst, e.self, e.state]),
      [['02:00:00:00:02:02', '192.168.77.20', true, 'permanent']],
    );
  });

  it('sysctls: forwarding and per-device rp_filter', () => {
    const s = section(entry, 'sysctl', parseSysctl);
    assert.equal(s.get('net.ipv4.ip_forward'), '1');
    assert.equal(s.get('net.ipv4.conf.all.rp_filter'), '0');
    assert.equal(s.get('net.ipv4.conf.eth0.rp_filter'), '1');
    assert.equal(s.get('net.ipv4.conf.flannel/1.rp_filter'), '2');
    assert.equal(s.get('net.ipv4.conf.cni0.forwarding'), '1');
    assert.equal(s.get('net.ipv4.conf.vethpod.rp_filter'), '0');
  });

  it('iptables: each backend shows the rules loaded through it, and only those', () => {
    const nft = entry.sections['iptables-nft-save'] ?? '';
    const legacy = entry.sections['iptables-legacy-save'] ?? '';
    assert.ok(nft.includes(NFT_RULE), nft);
    assert.ok(legacy.includes(LEGACY_RULE), legacy);
    assert.ok(!nft.includes(LEGACY_RULE));
    assert.ok(!legacy.includes(NFT_RULE));
  });

  it('files: the CNI config and flannel subnet.env from the host root', () => {
    const cni = section(entry, `file:${CNI_PATH}`, (t) => parseCniConfig(CNI_PATH, t));
    assert.deepEqual(cni.plugins[0]?.ipamSubnets, ['10.1.94.1/24']);
    const env = section(entry, `file:${SUBNET_ENV}`, parseFlannelSubnetEnv);
    assert.equal(env.subnet, '10.1.94.1/24');
    assert.equal(env.network, '10.1.0.0/16');
  });
});

/** Rows in a stable order, to compare sets without depending on the order ip prints them. */
function sorted<T extends unknown[]>(rows: T[]): T[] {
  return [...rows].sort((a, b) => String(a).localeCompare(String(b)));
}
