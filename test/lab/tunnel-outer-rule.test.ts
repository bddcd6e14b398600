// The kernel's rule for the outer addresses of a VXLAN device bound to one NIC (`dev`), with and
// without `local`, measured: host b has two NICs on one switch (eth0 10.0.1.2/24, eth1
// 10.0.2.2/24), peer p1 sits in the first subnet and p2 in the second. For each way of creating
// vx0 and its forwarding entry, b pings an address behind vx0; tcpdump on the peers shows which
// peer got the VXLAN packet and from which source. The engine's outerAddresses (src/engine/tunnel.ts,
// the one implementation the walk and the tunnel-source check share) must say the same.
// Findings (kernel 6.x): the `dev` of the device does not bind an fdb entry added without `via`
// (Calico's and flannel's) — it is routed like any packet; an entry `via eth1`, and the default
// entry of a device made with `dev eth1 remote X` (the kernel adds `via eth1` to it), bind the lookup
// to eth1, and with no route out of eth1 the kernel sends on eth1's link from eth1's address.
import { text, texts } from '../../src/model/render/said.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildHostNet } from '../../src/engine/host-net.ts';
import { outerAddresses } from '../../src/engine/tunnel.ts';
import { formatIpv4, parseIpv4 } from '../../src/lib/ipv4.ts';
import { buildHostState } from '../../src/model/host.ts';
import { compare, engineObservation, kernelObservation, worldOf } from './differential/compare.ts';
import { bridge, host, labUnsupportedReason, link, mergeLabs, sharedLab } from './harness/index.ts';

const skip = (await labUnsupportedReason()) ?? false;
const MAC = '02:00:00:00:00:09';
const INNER = '172.16.0.9';

interface Case {
  name: string;
  /** `ip link add vx0 type vxlan …` arguments after the name. */
  create: string[];
  fdb: string[];
  routes?: string[];
  /** What the kernel did (measured; the test checks it still does). */
  expect: { peer: 'p1' | 'p2'; src: string };
}

const ENTRY_P1 = ['bridge', 'fdb', 'append', MAC, 'dev', 'vx0', 'dst', '10.0.1.3', 'self', 'permanent'];
const CASES: Case[] = [
  {
    name: 'dev eth1, no local, fdb entry without via: routed unbound, source of the route (eth0)',
    create: ['dev', 'eth1'],
    fdb: ENTRY_P1,
    expect: { peer: 'p1', src: '10.0.1.2' },
  },
  {
    name: 'dev eth1, no local, fdb entry via eth1: bound, no route out of eth1, on-link from eth1',
    create: ['dev', 'eth1'],
    fdb: [...ENTRY_P1, 'via', 'eth1'],
    expect: { peer: 'p1', src: '10.0.2.2' },
  },
  {
    name: 'dev eth1 remote 10.0.1.3 (the default entry gets via eth1): bound to eth1',
    create: ['dev', 'eth1', 'remote', '10.0.1.3'],
    fdb: [],
    expect: { peer: 'p1', src: '10.0.2.2' },
  },
  {
    name: 'dev eth1 remote 10.0.1.3, a route to 10.0.1.0/24 via p2 out of eth1: bound lookup takes it',
    create: ['dev', 'eth1', 'remote', '10.0.1.3'],
    fdb: [],
    routes: ['10.0.1.0/24 via 10.0.2.3 dev eth1 metric 50'],
    expect: { peer: 'p2', src: '10.0.2.2' },
  },
  {
    name: 'dev eth1 local 10.0.2.2, fdb entry without via: local is the source, routed unbound',
    create: ['dev', 'eth1', 'local', '10.0.2.2'],
    fdb: ENTRY_P1,
    expect: { peer: 'p1', src: '10.0.2.2' },
  },
  {
    name: 'no dev, no local: source of the route',
    create: [],
    fdb: ENTRY_P1,
    expect: { peer: 'p1', src: '10.0.1.2' },
  },
  {
    name: 'dev eth0, no local, entry toward p2 without via: source of the route out of eth1',
    create: ['dev', 'eth0'],
    fdb: ['bridge', 'fdb', 'append', MAC, 'dev', 'vx0', 'dst', '10.0.2.3', 'self', 'permanent'],
    expect: { peer: 'p2', src: '10.0.2.2' },
  },
];

const PEER_IP = { p1: '10.0.1.3', p2: '10.0.2.3' } as const;

describe('VXLAN outer source and destination of a dev-bound device (measured)', { skip }, () => {
  const lab = sharedLab(
    mergeLabs(
      bridge('sw', 'br0'),
      host('b'),
      host('p1'),
      host('p2'),
      link({ host: 'b', dev: 'eth0', addr: '10.0.1.2/24' }, { host: 'sw', dev: 'port0', master: 'br0' }),
      link({ host: 'b', dev: 'eth1', addr: '10.0.2.2/24' }, { host: 'sw', dev: 'port1', master: 'br0' }),
      link({ host: 'p1', dev: 'eth0', addr: '10.0.1.3/24' }, { host: 'sw', dev: 'port2', master: 'br0' }),
      link({ host: 'p2', dev: 'eth0', addr: '10.0.2.3/24' }, { host: 'sw', dev: 'port3', master: 'br0' }),
    ),
    { prefix: 'vxrule' },
  );

  for (const c of CASES) {
    it(c.name, async () => {
      const l = lab();
      const run = async (argv: string[]) => {
        const r = await l.exec('b', argv);
        assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
      };
      await l.exec('b', ['ip', 'link', 'del', 'vx0']);
      await l.exec('b', ['ip', 'route', 'flush', 'proto', 'static']);
      await run(['ip', 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '7', 'dstport', '4789', 'nolearning', ...c.create]);
      await run(['ip', 'addr', 'add', '172.16.0.2/24', 'dev', 'vx0']);
      await run(['ip', 'link', 'set', 'vx0', 'up']);
      await run(['ip', 'neigh', 'replace', INNER, 'lladdr', MAC, 'dev', 'vx0', 'nud', 'permanent']);
      if (c.fdb.length > 0) await run(c.fdb);
      for (const r of c.routes ?? []) await run(['ip', 'route', 'add', ...r.split(' '), 'proto', 'static']);

      // Ground truth: the first VXLAN packet on either peer's wire.
      const dumps = (['p1', 'p2'] as const).map(async (p) => {
        const r = await l.exec(p, ['timeout', '3', 'tcpdump', '-i', 'eth0', '-n', '-c', '1', '-l', 'udp port 4789']);
        const m = /IP (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.4789/.exec(r.stdout);
        return m === null ? undefined : { peer: p, src: m[1]!, dst: m[2]! };
      });
      await new Promise((r) => setTimeout(r, 700));
      await l.exec('b', ['ping', '-c', '1', '-W', '1', INNER]);
      const seen = (await Promise.all(dumps)).filter((x) => x !== undefined);
      assert.equal(seen.length, 1, `VXLAN packets seen: ${JSON.stringify(seen)}`);
      const kernel = seen[0]!;
      assert.deepEqual({ peer: kernel.peer, src: kernel.src }, c.expect, 'the kernel changed its rule');

      const net = buildHostNet(buildHostState('b', await l.probe('b')));
      const outer = outerAddresses(net, 'vx0', parseIpv4(INNER)!);
      assert.equal(outer.problem, undefined, JSON.stringify(outer));
      assert.equal(
        formatIpv4(outer.src!),
        kernel.src,
        `engine: ${text(outer.srcFrom)}\n${texts(outer.evidence).join('\n')}`,
      );
      assert.equal(formatIpv4(outer.dst!), kernel.dst);
      // The outer packet's next hop on the wire is the peer that captured it.
      const firstHop = texts(outer.evidence).at(-1) ?? '';
      if (kernel.peer === 'p2' && kernel.dst !== PEER_IP.p2) assert.match(firstHop, /via 10\.0\.2\.3/);
    });
  }
});

describe('a VXLAN device with `local` takes packets sent to any address of its host (measured)', { skip }, () => {
  // b's vx0 has `local 10.0.1.2 dev eth0`; p1's fdb entry sends to b's other address 10.0.2.2.
  const lab = sharedLab(
    mergeLabs(
      bridge('sw', 'br0'),
      host('b', {
        devices: [
          {
            kind: 'vxlan',
            name: 'vx0',
            vni: 7,
            dstport: 4789,
            local: '10.0.1.2',
            dev: 'eth0',
            mac: '02:00:00:00:0b:0b',
          },
        ],
        addresses: ['172.16.0.2/24 dev vx0'],
        neighbors: ['172.16.0.3 lladdr 02:00:00:00:0a:0a dev vx0 nud permanent'],
        fdb: ['02:00:00:00:0a:0a dev vx0 dst 10.0.1.3 self permanent'],
      }),
      host('p1', {
        devices: [{ kind: 'vxlan', name: 'vx0', vni: 7, dstport: 4789, mac: '02:00:00:00:0a:0a' }],
        addresses: ['172.16.0.3/24 dev vx0'],
        neighbors: ['172.16.0.2 lladdr 02:00:00:00:0b:0b dev vx0 nud permanent'],
        fdb: ['02:00:00:00:0b:0b dev vx0 dst 10.0.2.2 self permanent'],
      }),
      link({ host: 'b', dev: 'eth0', addr: '10.0.1.2/24' }, { host: 'sw', dev: 'port0', master: 'br0' }),
      link({ host: 'b', dev: 'eth1', addr: '10.0.2.2/24' }, { host: 'sw', dev: 'port1', master: 'br0' }),
      link(
        { host: 'p1', dev: 'eth0', addr: ['10.0.1.3/24', '10.0.2.3/24'] },
        { host: 'sw', dev: 'port2', master: 'br0' },
      ),
    ),
    { prefix: 'vxrecv' },
  );

  it('p1 → 172.16.0.2 over VXLAN to 10.0.2.2: decapsulated by vx0 and answered; the engine agrees', async () => {
    const flow = { from: 'p1', dst: '172.16.0.2', proto: 'udp' as const };
    const kernel = await kernelObservation(lab(), flow);
    assert.equal(kernel.replyDelivered, true, JSON.stringify(kernel));
    const { obs, trace } = engineObservation(await worldOf(lab(), ['b', 'p1', 'sw']), flow);
    assert.deepEqual(compare(kernel, obs, flow.proto), [], trace);
  });
});
