// kube-proxy's rules on a real kernel: the rulesets and packet tables of
// test/unit/netfilter/kube-proxy-services.ts (which the engine walks in the unit test) loaded into
// a node namespace with iptables-nft-restore, and every row sent as a real TCP connection. The
// kernel must do what the row says: the endpoint(s) that receive it, masquerade or not, or no
// delivery for DROP/REJECT. Rows the engine answers UNKNOWN are not sent.
//
//   lan 192.168.0.50 (+ 203.0.113.2, 203.0.113.130) ── eth0 node 192.168.0.2 (eth1 192.168.1.2)
//                                                           cni0 10.0.0.1/8 ── pod 10.0.0.2, endpoints 10.180.0.x
//
// -m nfacct needs its accounting objects before the rules load (iptables: "No such file or
// directory" otherwise); there is no nfacct tool here, so they are created with one netlink
// message (NFNL_SUBSYS_ACCT, NFNL_MSG_ACCT_NEW, NFACCT_NAME) from python3, as kube-proxy's own
// nfacct client does. Without python3 the test is skipped and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dedent } from '../helpers/iptables-inline.ts';
import type { FlowRow } from '../unit/netfilter/packet-table.ts';
import { ITP_ROWS, ITP_TEXT, V130_ROWS, V130_TEXT } from '../unit/netfilter/kube-proxy-services.ts';
import {
  bridgePod,
  labUnsupportedReason,
  lanHost,
  link,
  mergeLabs,
  node,
  startLab,
  vethName,
  type Lab,
} from './harness/index.ts';

const NFACCT_NEW = `
import socket, struct, sys
name = sys.argv[1].encode() + b'\\0'
attr = struct.pack('HH', 4 + len(name), 1) + name + b'\\0' * ((4 - len(name) % 4) % 4)
body = struct.pack('BBH', 0, 0, 0) + attr
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)
s.send(struct.pack('IHHII', 16 + len(body), 7 << 8, 0x1 | 0x4 | 0x400, 1, 0) + body)
sys.exit(struct.unpack('i', s.recv(4096)[16:20])[0] != 0)
`;

function pythonMissing(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import socket'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3 is needed to create the nfacct objects kube-proxy rules use (no nfacct tool here)';
  }
}

const ENDPOINTS = ['10.180.0.1', '10.180.0.2', '10.180.0.3', '10.180.0.4', '10.180.0.5', '10.180.0.7'];

const topology: Lab = mergeLabs(
  node('node', {
    sysctls: { 'net.ipv4.conf.all.route_localnet': '1' },
    addresses: ['192.168.1.2/32 dev lo'],
    routes: [
      'default via 192.168.0.50 dev eth0',
      '203.0.113.0/24 via 192.168.0.50 dev eth0',
      '192.168.1.50 via 192.168.0.50 dev eth0',
    ],
  }),
  lanHost('lan', {
    addresses: ['203.0.113.2/32 dev lo', '203.0.113.130/32 dev lo', '192.168.1.50/32 dev lo'],
    routes: ['default via 192.168.0.2 dev eth0'],
  }),
  link({ host: 'lan', dev: 'eth0', addr: '192.168.0.50/24' }, { host: 'node', dev: 'eth0', addr: '192.168.0.2/24' }),
  bridgePod({ name: 'pod', node: 'node', addr: '10.0.0.2/8', gateway: '10.0.0.1/8' }),
  ...ENDPOINTS.map((ip, i) => bridgePod({ name: `ep${i + 1}`, node: 'node', addr: `${ip}/8`, gateway: '10.0.0.1/8' })),
  // kubelet's hairpin-veth mode: a pod may reach itself through its Service (the bridge sends
  // the frame back out the port it came in on).
  node('node', {
    commands: ENDPOINTS.map((_, i) => [
      'bridge',
      'link',
      'set',
      'dev',
      vethName('veth', `ep${i + 1}`),
      'hairpin',
      'on',
    ]),
  }),
);

/** The lab host that owns an address the rows use. */
function hostOf(addr: string): string | undefined {
  if (addr === '10.0.0.2') return 'pod';
  const ep = ENDPOINTS.indexOf(addr);
  if (ep >= 0) return `ep${ep + 1}`;
  if (addr.startsWith('203.0.113.') || addr === '192.168.0.50' || addr === '192.168.1.50') return 'lan';
  if (addr === '192.168.0.2' || addr === '192.168.1.2' || addr === '127.0.0.1') return 'node';
  return undefined;
}

async function kernelAgrees(lab: Awaited<ReturnType<typeof startLab>>, row: FlowRow): Promise<string[]> {
  const from = hostOf(row.packet.src);
  if (from === undefined) return [`no lab host sends from ${row.packet.src}`];
  const dport = row.packet.dport ?? 80;
  const s = await lab.send({
    from,
    dst: row.packet.dst,
    proto: 'tcp',
    dport,
    ...(from === 'lan' || from === 'node' ? { srcAddr: row.packet.src } : {}),
    listen: [80, dport],
  });
  const got = `delivered=${s.forwardDelivered} to ${s.receivedBy ?? '-'} seen from ${s.seenSrc ?? '-'}`;
  if (row.want === 'DROP' || row.want === 'REJECT')
    return s.forwardDelivered ? [`kernel delivered it (${got}); the table says ${row.want}`] : [];
  if (row.want === '') {
    const owner = hostOf(row.packet.dst);
    // Forwarded untranslated to an address no lab host owns: nothing to observe.
    if (owner === undefined) return [];
    return s.forwardDelivered && s.receivedBy === owner
      ? []
      : [`kernel: ${got}; the table says untranslated to ${owner}`];
  }
  const receivers = row.want.split(',').map((e) => hostOf(e.trim().split(':')[0]!));
  const out: string[] = [];
  if (!s.forwardDelivered || !receivers.includes(s.receivedBy)) out.push(`kernel: ${got}; the table says ${row.want}`);
  if (row.masq !== undefined && s.forwardDelivered && (s.seenSrc !== row.packet.src) !== row.masq)
    out.push(`kernel: ${got}; the table says masquerade=${row.masq}`);
  return out;
}

for (const [name, text, rows] of [
  ['kube-proxy v1.30 rules', V130_TEXT, V130_ROWS],
  ['internalTrafficPolicy and --nodeport-addresses', ITP_TEXT, ITP_ROWS],
] as const) {
  test(`the kernel does what the table says: ${name}`, async (t) => {
    const unsupported = (await labUnsupportedReason()) ?? pythonMissing();
    if (unsupported !== undefined) {
      t.skip(unsupported);
      return;
    }
    const lab = await startLab(topology, { prefix: 'kproxy' });
    try {
      for (const acct of ['localhost_nps_accepted_pkts', 'ct_state_invalid_dropped_pkts']) {
        const r = await lab.exec('node', ['python3', '-c', NFACCT_NEW, acct]);
        assert.equal(r.code, 0, `nfacct ${acct}: ${r.stderr}`);
      }
      const restore = await lab.exec('node', ['iptables-nft-restore'], { input: dedent(text) });
      assert.equal(restore.code, 0, restore.stderr);
      const failures: string[] = [];
      let sent = 0;
      for (const row of rows) {
        if (row.want === 'UNKNOWN') continue;
        // Each row is a first packet: no conntrack entry or xt_recent list from an earlier row.
        await lab.exec('node', ['conntrack', '-F']);
        const m = await kernelAgrees(lab, row);
        sent++;
        if (m.length > 0) failures.push(`${row.name}:\n  ${m.join('\n  ')}`);
      }
      t.diagnostic(`${sent} rows sent through the kernel`);
      assert.deepEqual(failures, []);
    } finally {
      await lab.stop();
    }
  });
}
