// Self-tests of the lab harness (test/lab/harness): topologies built in real network namespaces,
// real packets, and cleanup in every way a test process can end. The pure parts (validation,
// planning, merging) run everywhere; the rest needs root and `ip netns`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  bridgePod,
  calicoPod,
  flannelVxlan,
  lanHost,
  lanSegment,
  link,
  listNetns,
  LabCommandError,
  LabMissingCommandError,
  labUnsupportedReason,
  LabTopologyError,
  mergeLabs,
  missingCommands,
  node,
  planLab,
  removeStale,
  router,
  setupCommands,
  startLab,
  validateLab,
  vethName,
  type Lab,
  type RunningLab,
} from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;
const OWN_PREFIX = `nclab-${process.pid}-`;

async function withLab(topology: Lab, fn: (lab: RunningLab) => Promise<void>): Promise<void> {
  const lab = await startLab(topology);
  try {
    await fn(lab);
  } finally {
    await lab.stop();
  }
}

/** client 10.0.1.2 — eth0 r eth1 — 10.0.2.2 server; the server has no route back unless given one. */
function chain(opts: { forwarding?: boolean; serverRoutes?: string[]; r?: Parameters<typeof router>[1] } = {}): Lab {
  return mergeLabs(
    lanHost('client', { routes: ['default via 10.0.1.1'] }),
    router('r', { ...opts.r, ...(opts.forwarding !== undefined ? { forwarding: opts.forwarding } : {}) }),
    lanHost('server', { routes: opts.serverRoutes ?? ['default via 10.0.2.1'] }),
    link({ host: 'client', dev: 'eth0', addr: '10.0.1.2/24' }, { host: 'r', dev: 'eth0', addr: '10.0.1.1/24' }),
    link({ host: 'r', dev: 'eth1', addr: '10.0.2.1/24' }, { host: 'server', dev: 'eth0', addr: '10.0.2.2/24' }),
  );
}

function masquerade(): string {
  return [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    '-A POSTROUTING -o eth1 -j MASQUERADE',
    'COMMIT',
    '',
  ].join('\n');
}

describe('lab topology (no root needed)', () => {
  test('validation lists every problem before anything is created', () => {
    const bad: Lab = {
      hosts: [{ name: 'a', devices: [{ kind: 'vxlan', name: 'vx0', vni: 1, dev: 'nope' }] }, { name: 'a b' }],
      links: [
        { a: { host: 'a', dev: 'eth0', master: 'br0' }, b: { host: 'ghost', dev: 'eth0' } },
        { a: { host: 'a', dev: 'eth0' }, b: { host: 'a', dev: 'averyveryverylongname' } },
      ],
    };
    assert.throws(
      () => validateLab(bad),
      (e: unknown) => {
        assert.ok(e instanceof LabTopologyError);
        for (const want of [
          '"a b"',
          'unknown host "ghost"',
          'device "eth0" defined twice',
          'averyveryverylongname',
          'master "br0"',
          'underlay device "nope"',
        ]) {
          assert.ok(e.message.includes(want), `missing ${want} in:\n${e.message}`);
        }
        return true;
      },
    );
  });

  test('plan: veths are created inside their namespaces; devices before addresses before up; global sysctls early', () => {
    const plan = planLab(
      mergeLabs(
        node('n1', { sysctls: { 'net.ipv4.conf.default.rp_filter': '1', 'net.ipv4.conf.flannel.1.rp_filter': '2' } }),
        bridgePod({ name: 'p1', node: 'n1', addr: '10.244.1.2/24', gateway: '10.244.1.1/24' }),
      ),
      (h) => `NS-${h}`,
    );
    const veth = vethName('veth', 'p1');
    assert.deepEqual(plan.links, [
      `link add name eth0 index 1000 netns NS-p1 type veth peer name ${veth} index 1001 netns NS-n1`,
    ]);
    const n1 = plan.hosts.find((h) => h.host === 'n1');
    assert.ok(n1 !== undefined);
    assert.deepEqual(n1.devices, [
      'link set dev lo up',
      'link add name cni0 index 5000 type bridge',
      `link set dev ${veth} master cni0`,
      'addr add 10.244.1.1/24 dev cni0',
      'link set dev cni0 up',
      `link set dev ${veth} up`,
    ]);
    assert.deepEqual(
      n1.earlySysctls.map((s) => `${s.key}=${s.value}`),
      [
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=1',
        'net.ipv4.conf.all.send_redirects=0',
        'net.ipv4.conf.default.send_redirects=0',
        'net.ipv4.ip_forward=1',
      ],
    );
    // sysctl(8) splits keys on dots, so a dotted device name needs the slash form.
    assert.deepEqual(n1.deviceSysctls, [{ key: 'net/ipv4/conf/flannel.1/rp_filter', value: '2' }]);
  });

  test('setup commands: what the plan runs, and which of them a PATH lacks', () => {
    const topo = mergeLabs(
      lanHost('a', { iptables: '*filter\nCOMMIT\n', commands: [['tc', 'qdisc', 'show']] }),
      lanHost('b', { iptablesLegacy: '*filter\nCOMMIT\n' }),
    );
    const need = setupCommands(planLab(topo, (h) => `x-${h}`));
    for (const c of ['ip', 'sysctl', 'iptables-nft-restore', 'iptables-legacy-restore', 'tc'])
      assert.ok(need.includes(c), c);
    assert.ok(!need.includes('ipset'), 'no host has ipsets');
    assert.deepEqual(missingCommands(['ip', 'iptables-nft-restore'], '/nonexistent'), ['ip', 'iptables-nft-restore']);
    assert.deepEqual(missingCommands(['node'], dirname(process.execPath)), []);
  });

  test('a command the setup needs that is not installed fails startLab before anything is created', async () => {
    const before = listNetns(OWN_PREFIX);
    const topo = mergeLabs(lanHost('a', { commands: [['netcheck-no-such-tool', '--version']] }), lanHost('b'));
    await assert.rejects(startLab(topo), (e: unknown) => {
      assert.ok(e instanceof LabMissingCommandError, String(e));
      assert.deepEqual(e.missing, ['netcheck-no-such-tool']);
      assert.match(e.message, /netcheck-no-such-tool, not found in PATH .*nothing was created/);
      return true;
    });
    assert.deepEqual(listNetns(OWN_PREFIX), before);
  });

  test('mergeLabs joins a host described by several builders and refuses contradictions', () => {
    const lab = mergeLabs(
      node('n'),
      calicoPod({ name: 'p1', node: 'n', ip: '10.65.0.2' }),
      calicoPod({ name: 'p2', node: 'n', ip: '10.65.0.3' }),
    );
    const n = lab.hosts.find((h) => h.name === 'n');
    assert.equal(n?.forwarding, true);
    assert.deepEqual(n?.routes, [
      `10.65.0.2 dev ${vethName('cali', 'p1')} scope link`,
      `10.65.0.3 dev ${vethName('cali', 'p2')} scope link`,
    ]);
    assert.throws(() => mergeLabs(node('n'), lanHost('n')), /conflicting forwarding/);
  });
});

describe('lab harness in network namespaces', { skip }, () => {
  test('two hosts on one veth: UDP, TCP and ICMP delivered, with the source each end saw', async () => {
    await withLab(
      mergeLabs(
        lanHost('a'),
        lanHost('b'),
        link({ host: 'a', dev: 'eth0', addr: '10.0.0.1/24' }, { host: 'b', dev: 'eth0', addr: '10.0.0.2/24' }),
      ),
      async (lab) => {
        for (const proto of ['udp', 'tcp', 'icmp'] as const) {
          const r = await lab.send({ from: 'a', dst: '10.0.0.2', proto });
          assert.equal(r.forwardDelivered, true, proto);
          assert.equal(r.replyDelivered, true, proto);
          assert.equal(r.receivedBy, 'b', proto);
          assert.equal(r.seenSrc, '10.0.0.1', proto);
        }
        const miss = await lab.send({ from: 'a', dst: '10.0.0.3', proto: 'udp' });
        assert.deepEqual(
          { f: miss.forwardDelivered, r: miss.replyDelivered, by: miss.receivedBy },
          { f: false, r: false, by: undefined },
        );
        const ls = await lab.exec('b', ['ip', '-br', 'addr', 'show', 'eth0']);
        assert.match(ls.stdout, /10\.0\.0\.2\/24/);
      },
    );
  });

  test('router: forwards only with ip_forward on', async () => {
    for (const forwarding of [false, true]) {
      await withLab(chain({ forwarding }), async (lab) => {
        const r = await lab.send({ from: 'client', dst: '10.0.2.2', proto: 'udp' });
        assert.equal(r.forwardDelivered, forwarding, `ip_forward=${forwarding}`);
        assert.equal(r.replyDelivered, forwarding);
        if (forwarding) assert.equal(r.seenSrc, '10.0.1.2');
        const sysctl = (await lab.probe('r')).sections['sysctl'] ?? '';
        assert.match(sysctl, new RegExp(`^net\\.ipv4\\.ip_forward = ${forwarding ? 1 : 0}$`, 'm'));
      });
    }
  });

  test('strict rp_filter on the ingress device drops an asymmetric path; loose lets it through', async () => {
    // c → r → s:eth0, but s routes back to c's subnet over a direct link (s:eth1): the reverse
    // path of the source leaves through another device than the one the packet came in on.
    const topo = mergeLabs(
      lanHost('c', { routes: ['10.0.2.0/24 via 10.0.1.1 dev eth0'] }),
      router('r'),
      lanHost('s', { routes: ['10.0.1.0/24 via 10.0.3.1 dev eth1'], sysctls: { 'net.ipv4.conf.eth0.rp_filter': '1' } }),
      link({ host: 'c', dev: 'eth0', addr: '10.0.1.2/24' }, { host: 'r', dev: 'eth0', addr: '10.0.1.1/24' }),
      link({ host: 'r', dev: 'eth1', addr: '10.0.2.1/24' }, { host: 's', dev: 'eth0', addr: '10.0.2.2/24' }),
      link({ host: 'c', dev: 'eth1', addr: '10.0.3.1/24' }, { host: 's', dev: 'eth1', addr: '10.0.3.2/24' }),
    );
    await withLab(topo, async (lab) => {
      const sysctl = (await lab.probe('s')).sections['sysctl'] ?? '';
      assert.match(sysctl, /^net\.ipv4\.conf\.eth0\.rp_filter = 1$/m);
      assert.match(sysctl, /^net\.ipv4\.conf\.all\.rp_filter = 0$/m);

      const strict = await lab.send({ from: 'c', dst: '10.0.2.2', proto: 'udp', srcAddr: '10.0.1.2' });
      assert.equal(strict.forwardDelivered, false);
      // The symmetric path to the same host still works: the drop is the reverse-path check.
      const direct = await lab.send({ from: 'c', dst: '10.0.3.2', proto: 'udp' });
      assert.equal(direct.forwardDelivered, true);

      const set = await lab.exec('s', ['sysctl', '-w', 'net.ipv4.conf.eth0.rp_filter=2']);
      assert.equal(set.code, 0, set.stderr);
      const loose = await lab.send({ from: 'c', dst: '10.0.2.2', proto: 'udp', srcAddr: '10.0.1.2' });
      assert.deepEqual(
        { f: loose.forwardDelivered, by: loose.receivedBy, src: loose.seenSrc, r: loose.replyDelivered },
        { f: true, by: 's', src: '10.0.1.2', r: true },
      );
    });
  });

  test('MASQUERADE on the router changes the source the server sees (nft and legacy backends)', async () => {
    for (const backend of ['iptables', 'iptablesLegacy'] as const) {
      // Without NAT the server could not answer: it has no route to the client's subnet.
      await withLab(chain({ serverRoutes: [], r: { [backend]: masquerade() } }), async (lab) => {
        for (const proto of ['udp', 'tcp', 'icmp'] as const) {
          const r = await lab.send({ from: 'client', dst: '10.0.2.2', proto });
          assert.equal(r.forwardDelivered, true, `${backend} ${proto}`);
          assert.equal(r.seenSrc, '10.0.2.1', `${backend} ${proto}`);
          assert.equal(r.replyDelivered, true, `${backend} ${proto}`);
        }
        const save =
          (await lab.probe('r')).sections[backend === 'iptables' ? 'iptables-nft-save' : 'iptables-legacy-save'] ?? '';
        assert.match(save, /-A POSTROUTING -o eth1 -j MASQUERADE/);
      });
    }
  });

  test('DNAT on the router delivers to another host than the owner of dst, port rewritten too', async () => {
    const nat = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 7777 -j DNAT --to-destination 10.0.3.2',
      '-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.3.2:8080',
      '-A PREROUTING -d 10.96.0.10/32 -p icmp -j DNAT --to-destination 10.0.3.2',
      'COMMIT',
      '',
    ].join('\n');
    const topo = mergeLabs(
      chain({ r: { iptables: nat } }),
      lanHost('server2', { routes: ['default via 10.0.3.1'] }),
      link({ host: 'r', dev: 'eth2', addr: '10.0.3.1/24' }, { host: 'server2', dev: 'eth0', addr: '10.0.3.2/24' }),
    );
    await withLab(topo, async (lab) => {
      const u = await lab.send({ from: 'client', dst: '10.96.0.10', proto: 'udp' });
      assert.deepEqual(
        { by: u.receivedBy, dst: u.seenDst, src: u.seenSrc, reply: u.replyDelivered, from: u.replyFrom },
        { by: 'server2', dst: '10.0.3.2', src: '10.0.1.2', reply: true, from: '10.96.0.10' },
      );
      const t = await lab.send({ from: 'client', dst: '10.96.0.10', proto: 'tcp', dport: 80, listen: [8080] });
      assert.deepEqual(
        { by: t.receivedBy, dst: t.seenDst, reply: t.replyDelivered },
        { by: 'server2', dst: '10.0.3.2', reply: true },
      );
      const i = await lab.send({ from: 'client', dst: '10.96.0.10', proto: 'icmp' });
      assert.deepEqual({ by: i.receivedBy, reply: i.replyDelivered }, { by: 'server2', reply: true });
      // Without the rule nothing answers for the VIP.
      const other = await lab.send({ from: 'client', dst: '10.96.0.11', proto: 'udp' });
      assert.equal(other.forwardDelivered, false);
    });
  });

  test('forward and reply are told apart: the server drops its own replies', async () => {
    const dropReplies = [
      '*filter',
      ':INPUT ACCEPT [0:0]',
      ':FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      '-A OUTPUT -p udp -m udp --sport 7777 -j DROP',
      '-A OUTPUT -p tcp -m tcp --sport 7777 -j DROP',
      '-A OUTPUT -p icmp -m icmp --icmp-type 0 -j DROP',
      'COMMIT',
      '',
    ].join('\n');
    await withLab(
      mergeLabs(
        lanHost('a'),
        lanHost('b', { iptables: dropReplies }),
        link({ host: 'a', dev: 'eth0', addr: '10.0.0.1/24' }, { host: 'b', dev: 'eth0', addr: '10.0.0.2/24' }),
      ),
      async (lab) => {
        for (const proto of ['udp', 'tcp', 'icmp'] as const) {
          // TCP: the SYN reached the listener (a request socket in SYN_RECV), the SYN-ACK never left.
          const r = await lab.send({ from: 'a', dst: '10.0.0.2', proto });
          assert.deepEqual(
            { f: r.forwardDelivered, by: r.receivedBy, src: r.seenSrc, r: r.replyDelivered },
            { f: true, by: 'b', src: '10.0.0.1', r: false },
            proto,
          );
        }
      },
    );
  });

  test('flannel VXLAN overlay carries pod traffic between nodes (neigh + fdb as flannel programs them)', async () => {
    const macs = { n1: '0a:58:0a:f4:01:00', n2: '0a:58:0a:f4:02:00' };
    const topo = mergeLabs(
      node('n1'),
      node('n2'),
      link({ host: 'n1', dev: 'eth0', addr: '192.168.0.11/24' }, { host: 'n2', dev: 'eth0', addr: '192.168.0.12/24' }),
      flannelVxlan([
        { host: 'n1', underlayIp: '192.168.0.11', underlayDev: 'eth0', podCidr: '10.244.1.0/24', mac: macs.n1 },
        { host: 'n2', underlayIp: '192.168.0.12', underlayDev: 'eth0', podCidr: '10.244.2.0/24', mac: macs.n2 },
      ]),
      bridgePod({ name: 'pa', node: 'n1', addr: '10.244.1.5/24', gateway: '10.244.1.1/24', mtu: 1450 }),
      bridgePod({ name: 'pb', node: 'n2', addr: '10.244.2.5/24', gateway: '10.244.2.1/24', mtu: 1450 }),
      node('n1', {
        files: {
          '/run/flannel/subnet.env':
            'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
        },
      }),
    );
    await withLab(topo, async (lab) => {
      const txBefore = await vxlanTxPackets(lab, 'n1');
      for (const proto of ['udp', 'tcp', 'icmp'] as const) {
        const r = await lab.send({ from: 'pa', dst: '10.244.2.5', proto });
        assert.deepEqual(
          { f: r.forwardDelivered, by: r.receivedBy, src: r.seenSrc, r: r.replyDelivered },
          { f: true, by: 'pb', src: '10.244.1.5', r: true },
          proto,
        );
      }
      assert.ok((await vxlanTxPackets(lab, 'n1')) > txBefore, 'packets left n1 through flannel.1');

      const entry = await lab.probe('n1');
      assert.match(entry.sections['file:/run/flannel/subnet.env'] ?? '', /FLANNEL_SUBNET=10\.244\.1\.1\/24/);
      assert.match(entry.sections['bridge-fdb'] ?? '', /"dst":"192\.168\.0\.12"/);

      // The overlay really depends on the fdb entry: without it n1 cannot encapsulate.
      const del = await lab.exec('n1', ['bridge', 'fdb', 'del', macs.n2, 'dev', 'flannel.1', 'dst', '192.168.0.12']);
      assert.equal(del.code, 0, del.stderr);
      const r = await lab.send({ from: 'pa', dst: '10.244.2.5', proto: 'udp' });
      assert.equal(r.forwardDelivered, false);
    });
  });

  test('bridge with two veth ports (flannel cni0 style): pod to pod and pod to node', async () => {
    const topo = mergeLabs(
      node('n'),
      bridgePod({ name: 'p1', node: 'n', addr: '10.244.1.2/24', gateway: '10.244.1.1/24' }),
      bridgePod({ name: 'p2', node: 'n', addr: '10.244.1.3/24', gateway: '10.244.1.1/24' }),
    );
    await withLab(topo, async (lab) => {
      const pp = await lab.send({ from: 'p1', dst: '10.244.1.3', proto: 'udp' });
      assert.deepEqual(
        { by: pp.receivedBy, src: pp.seenSrc, r: pp.replyDelivered },
        { by: 'p2', src: '10.244.1.2', r: true },
      );
      const pn = await lab.send({ from: 'p2', dst: '10.244.1.1', proto: 'tcp' });
      assert.deepEqual(
        { by: pn.receivedBy, src: pn.seenSrc, r: pn.replyDelivered },
        { by: 'n', src: '10.244.1.3', r: true },
      );
      const links = await lab.exec('n', ['ip', '-j', 'link', 'show', 'master', 'cni0']);
      assert.equal((JSON.parse(links.stdout) as unknown[]).length, 2);
    });
  });

  test('calico-style pods: /32, default via 169.254.1.1 answered by proxy ARP on the node', async () => {
    // Proxy ARP answers only for an address the node has a route to through another device
    // (net/ipv4/arp.c arp_fwd_proxy): a real node's default route covers 169.254.1.1.
    const topo = mergeLabs(
      node('n', { routes: ['default via 192.168.0.1'] }),
      lanHost('gw'),
      link({ host: 'n', dev: 'eth0', addr: '192.168.0.11/24' }, { host: 'gw', dev: 'eth0', addr: '192.168.0.1/24' }),
      calicoPod({ name: 'p1', node: 'n', ip: '10.65.0.2' }),
      calicoPod({ name: 'p2', node: 'n', ip: '10.65.0.3' }),
    );
    await withLab(topo, async (lab) => {
      const r = await lab.send({ from: 'p1', dst: '10.65.0.3', proto: 'udp' });
      assert.deepEqual(
        { by: r.receivedBy, src: r.seenSrc, reply: r.replyDelivered },
        { by: 'p2', src: '10.65.0.2', reply: true },
      );
      const neigh = await lab.exec('p1', ['ip', 'neigh', 'show', '169.254.1.1']);
      assert.match(neigh.stdout, /lladdr ee:ee:ee:ee:ee:ee/);
    });
  });

  test('lanSegment: three hosts on one switch reach each other', async () => {
    const topo = mergeLabs(
      lanHost('h1'),
      lanHost('h2'),
      lanHost('h3'),
      lanSegment('sw', [
        { host: 'h1', dev: 'eth0', addr: '192.168.1.1/24' },
        { host: 'h2', dev: 'eth0', addr: '192.168.1.2/24' },
        { host: 'h3', dev: 'eth0', addr: '192.168.1.3/24' },
      ]),
    );
    await withLab(topo, async (lab) => {
      for (const [from, dst, by] of [
        ['h1', '192.168.1.2', 'h2'],
        ['h2', '192.168.1.3', 'h3'],
        ['h3', '192.168.1.1', 'h1'],
      ] as const) {
        const r = await lab.send({ from, dst, proto: 'udp' });
        assert.deepEqual({ by: r.receivedBy, reply: r.replyDelivered }, { by, reply: true }, `${from} → ${dst}`);
      }
    });
  });

  test('a failing setup command is named with its host, namespace and stderr, and nothing is left behind', async () => {
    const cases: [Lab, RegExp, RegExp][] = [
      [
        mergeLabs(
          lanHost('a', { routes: ['10.9.0.0/24 via 10.77.0.1'] }),
          lanHost('b'),
          link({ host: 'a', dev: 'eth0', addr: '10.0.0.1/24' }, { host: 'b', dev: 'eth0' }),
        ),
        /route add 10\.9\.0\.0\/24 via 10\.77\.0\.1/,
        /Nexthop has invalid gateway/,
      ],
      [
        mergeLabs(lanHost('a', { iptables: '*filter\n-A INPUT -j NO_SUCH_CHAIN\nCOMMIT\n' }), lanHost('b')),
        /iptables-nft-restore/,
        /NO_SUCH_CHAIN/,
      ],
    ];
    for (const [topo, command, stderr] of cases) {
      await assert.rejects(startLab(topo), (e: unknown) => {
        assert.ok(e instanceof LabCommandError, String(e));
        assert.equal(e.failed.host, 'a');
        assert.ok(e.failed.netns?.startsWith(OWN_PREFIX) === true && e.failed.netns.endsWith('-a'), e.failed.netns);
        assert.match(e.failed.command, command);
        assert.match(e.message, stderr);
        return true;
      });
      assert.deepEqual(listNetns(OWN_PREFIX), []);
    }
  });

  test('stop removes every namespace, every process in them and the files directory', async () => {
    const lab = await startLab(
      mergeLabs(
        lanHost('a', { files: { '/etc/cni/net.d/10-x.conflist': '{}' } }),
        lanHost('b'),
        link({ host: 'a', dev: 'eth0', addr: '10.0.0.1/24' }, { host: 'b', dev: 'eth0', addr: '10.0.0.2/24' }),
      ),
      { prefix: 'stoptest' },
    );
    assert.equal(listNetns(lab.prefix).length, 2);
    assert.ok(existsSync(lab.root('a')));
    await lab.send({ from: 'a', dst: '10.0.0.2', proto: 'icmp' }); // starts socat witnesses
    // A process the test left running in a namespace would keep it alive, unlisted.
    void lab.exec('b', ['sleep', '60']);
    await new Promise((r) => setTimeout(r, 100));
    const pids = lab.processes();
    assert.ok(pids.length >= 5, `agents, socat witnesses and sleep: ${pids.join(' ')}`);
    await lab.stop();
    await lab.stop(); // idempotent
    assert.deepEqual(listNetns(lab.prefix), []);
    assert.deepEqual(pids.filter(alive), []);
    assert.equal(existsSync(lab.root('a')), false);
  });

  for (const [mode, kill, want] of [
    ['wait', 'SIGTERM', { signal: 'SIGTERM' }],
    ['wait', 'SIGINT', { signal: 'SIGINT' }],
    ['throw', undefined, { code: 1 }],
    ['forget', undefined, { code: 0 }],
  ] as const) {
    test(`a test process that ${kill !== undefined ? `gets ${kill}` : mode === 'throw' ? 'dies of an uncaught exception' : 'never calls stop()'} still removes its namespaces`, async () => {
      const child = await startChild(mode);
      assert.equal(listNetns(child.prefix).length, 2);
      if (kill !== undefined) child.proc.kill(kill);
      else child.proc.stdin.end('go\n');
      const [code, signal] = (await once(child.proc, 'exit')) as [number | null, NodeJS.Signals | null];
      assert.deepEqual('signal' in want ? { signal } : { code }, want);
      assert.deepEqual(listNetns(child.prefix), []);
      assert.deepEqual(await survivors(child.pids), []);
    });
  }

  test('namespaces of a SIGKILLed run are removed by the next start', async () => {
    const child = await startChild('wait');
    child.proc.kill('SIGKILL');
    await once(child.proc, 'exit');
    assert.equal(listNetns(child.prefix).length, 2, 'SIGKILL leaves them behind');
    // Its agents see their stdin close and exit, taking their socat along.
    assert.deepEqual(await survivors(child.pids), []);
    const lab = await startLab(mergeLabs(lanHost('a')));
    try {
      assert.deepEqual([...lab.removedStale].filter((n) => n.startsWith(child.prefix)).sort(), [
        `${child.prefix}a`,
        `${child.prefix}b`,
      ]);
      assert.deepEqual(listNetns(child.prefix), []);
    } finally {
      await lab.stop();
    }
    assert.deepEqual(await removeStale(), []);
  });
});

async function vxlanTxPackets(lab: RunningLab, host: string): Promise<number> {
  const r = await lab.exec(host, ['ip', '-j', '-s', 'link', 'show', 'flannel.1']);
  const [dev] = JSON.parse(r.stdout) as { stats64: { tx: { packets: number } } }[];
  return dev?.stats64.tx.packets ?? 0;
}

async function startChild(mode: 'wait' | 'throw' | 'forget') {
  const script = fileURLToPath(new URL('./harness/child-lab.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', script, mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const lines = createInterface({ input: proc.stdout });
  const [line] = (await Promise.race([once(lines, 'line'), once(proc, 'exit').then(() => [undefined])])) as [
    string | undefined,
  ];
  if (line === undefined) throw new Error(`child-lab ${mode} exited before its lab was up: ${stderr}`);
  const { prefix, pids } = JSON.parse(line) as { prefix: string; pids: number[] };
  assert.ok(pids.length >= 4, `child-lab: agents and socat witnesses, got ${pids.join(' ')}`);
  return { proc, prefix, pids };
}

/** Running, not a zombie: an orphan's exit is reaped by pid 1 whenever it gets to it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pids still alive after up to two seconds (processes of a dead parent exit on their own). */
async function survivors(pids: readonly number[]): Promise<number[]> {
  for (let i = 0; i < 40 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}
