// Single rules against packets, for the matches' exact semantics: ip_tables.c ip_packet_match,
// xt_tcpudp.c, xt_physdev.c, xt_conntrack.c, xt_connmark.c, xt_iprange.c, xt_pkttype.c,
// xt_length.c, xt_limit.c. Each rule is written as iptables-nft-save v1.8.9 prints it (the same
// lines are in test/fixtures/netfilter/output/quoting.iptables-nft-save.txt, the parser's fixture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRule } from '../../../src/engine/netfilter/compile.ts';
import type { MatchCtx } from '../../../src/engine/netfilter/compiled.ts';
import type { CtState, Hook, PhysdevView } from '../../../src/engine/netfilter/types.ts';
import { evalRule } from '../../../src/engine/netfilter/walk.ts';
import { oneRule } from '../../helpers/iptables-inline.ts';
import { ct, host, packet, type PacketSpec } from './helpers.ts';

const env = host({ addrs: { eth0: ['192.168.1.5'] }, broadcast: ['192.168.1.255'] });

function rule(line: string, table = 'filter') {
  const r = oneRule(line, table);
  return compileRule(r.rule, r.table);
}

interface Ctx {
  hook?: Hook;
  packet: PacketSpec;
  in?: string;
  out?: string;
  state?: CtState;
  physdev?: PhysdevView;
}

/** 'yes' | 'no' | 'unknown' | 'fork' for one rule and one packet. */
function verdict(cr: ReturnType<typeof rule>, c: Ctx): string {
  const p = packet(c.packet);
  const ctx: MatchCtx = {
    hook: c.hook ?? 'FORWARD',
    packet: p,
    ct: ct(p, c.state ?? 'NEW'),
    inIface: c.in ?? '',
    outIface: c.out ?? '',
    physdev: c.physdev,
    env,
    assume: () => {},
  };
  return evalRule(cr, ctx).kind;
}

test('core: -s/-d with "!", -i "!", -o with "+", "! -p udp"', () => {
  const r = rule('-A QUOTING -s 10.0.0.0/8 ! -d 10.0.0.0/16 ! -i docker0 -o cni+ ! -p udp -j RETURN');
  const base = { packet: { src: '10.1.2.3', dst: '10.2.0.1' }, in: 'eth0', out: 'cni0' };
  assert.equal(verdict(r, base), 'yes');
  assert.equal(verdict(r, { ...base, out: 'cni' }), 'yes', '"cni+" also matches "cni" itself');
  assert.equal(verdict(r, { ...base, out: 'cn' }), 'no');
  assert.equal(verdict(r, { ...base, in: 'docker0' }), 'no');
  assert.equal(verdict(r, { ...base, in: 'docker01' }), 'yes', 'without "+" the whole name must match');
  assert.equal(verdict(r, { ...base, packet: { ...base.packet, proto: 'udp' } }), 'no');
  assert.equal(verdict(r, { ...base, packet: { ...base.packet, dst: '10.0.5.5' } }), 'no');
  assert.equal(verdict(r, { ...base, packet: { ...base.packet, src: '11.1.2.3' } }), 'no');
});

test('-f: the engine never walks fragments, so "! -p tcp -f" never matches', () => {
  assert.equal(
    verdict(rule('-A INPUT ! -p tcp -f -j DROP'), { packet: { src: '1.1.1.1', dst: '192.168.1.5', proto: 'udp' } }),
    'no',
  );
});

test('tcp: "!" on --sport ranges, --dport and --tcp-flags; flags follow the connection state', () => {
  const r = rule(
    '-A QUOTING -p tcp -m tcp ! --sport 1024:65535 ! --dport 80 ! --tcp-flags FIN,SYN,RST,ACK SYN -j RETURN',
  );
  const p = { src: '1.1.1.1', dst: '2.2.2.2', sport: 80, dport: 8080 };
  assert.equal(verdict(r, { packet: p, state: 'NEW' }), 'no', 'the first packet is a SYN');
  assert.equal(verdict(r, { packet: p, state: 'ESTABLISHED' }), 'yes', 'a later packet is an ACK');
  assert.equal(verdict(r, { packet: { ...p, sport: 1024 }, state: 'ESTABLISHED' }), 'no');
  assert.equal(verdict(r, { packet: { ...p, dport: 80 }, state: 'ESTABLISHED' }), 'no');
  assert.equal(verdict(r, { packet: p, state: 'UNTRACKED' }), 'unknown', 'flags of an untracked packet are not known');
  const ssh = rule(
    '-A INPUT -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j ACCEPT',
  );
  assert.equal(verdict(ssh, { packet: { src: '1.1.1.1', dst: '192.168.1.5', dport: 22 } }), 'yes');
});

test('multiport ranges, iprange, icmp type, limit', () => {
  const mp = rule('-A INPUT -p tcp -m multiport --dports 80,443,30000:32767 -j ACCEPT');
  for (const [port, want] of [
    [443, 'yes'],
    [31000, 'yes'],
    [8080, 'no'],
  ] as const) {
    assert.equal(verdict(mp, { packet: { src: '1.1.1.1', dst: '192.168.1.5', dport: port } }), want);
  }
  const range = rule('-A INPUT -m iprange --src-range 192.168.1.100-192.168.1.200 -j ACCEPT');
  assert.equal(verdict(range, { packet: { src: '192.168.1.200', dst: '192.168.1.5' } }), 'yes');
  assert.equal(verdict(range, { packet: { src: '192.168.1.201', dst: '192.168.1.5' } }), 'no');
  const ping = rule('-A INPUT -p icmp -m icmp --icmp-type 8 -m limit --limit 5/sec --limit-burst 10 -j ACCEPT');
  assert.equal(
    verdict(ping, { packet: { src: '1.1.1.1', dst: '192.168.1.5', proto: 'icmp', icmpType: 8 } }),
    'yes',
    'limit: a full bucket lets one packet through',
  );
  assert.equal(verdict(ping, { packet: { src: '1.1.1.1', dst: '192.168.1.5', proto: 'icmp', icmpType: 0 } }), 'no');
});

test('pkttype: broadcast for the limited and the subnet broadcast address', () => {
  const r = rule('-A INPUT -m pkttype --pkt-type broadcast -j DROP');
  assert.equal(verdict(r, { packet: { src: '192.168.1.7', dst: '255.255.255.255', proto: 'udp' } }), 'yes');
  assert.equal(verdict(r, { packet: { src: '192.168.1.7', dst: '192.168.1.255', proto: 'udp' } }), 'yes');
  assert.equal(verdict(r, { packet: { src: '192.168.1.7', dst: '192.168.1.5', proto: 'udp' } }), 'no');
});

test('mark/connmark/addrtype/conntrack with "!": an undecidable --ctstatus matters only if the rest passes', () => {
  const r = rule(
    '-A QUOTING -m mark ! --mark 0x4000/0x4000 -m connmark ! --mark 0x2 -m addrtype ! --dst-type LOCAL -m conntrack ! --ctstate INVALID,NEW ! --ctstatus ASSURED -j RETURN',
  );
  const p = { src: '1.1.1.1', dst: '2.2.2.2' };
  assert.equal(verdict(r, { packet: p, state: 'ESTABLISHED' }), 'unknown');
  assert.equal(verdict(r, { packet: p, state: 'NEW' }), 'no');
  assert.equal(verdict(r, { packet: { ...p, mark: 0x4000 }, state: 'ESTABLISHED' }), 'no');
  assert.equal(verdict(r, { packet: { ...p, connmark: 0x2 }, state: 'ESTABLISHED' }), 'no');
  assert.equal(verdict(r, { packet: { ...p, dst: '192.168.1.5' }, state: 'ESTABLISHED' }), 'no');
  // No conntrack entry: connmark never matches, whatever the "!" (xt_connmark.c).
  assert.equal(verdict(r, { packet: p, state: 'UNTRACKED' }), 'no');
});

test('physdev: bridged-only options, "!" and the no-bridge rule', () => {
  const r = rule('-A QUOTING -m physdev --physdev-in veth0 ! --physdev-out veth1 --physdev-is-bridged -j RETURN');
  const p = { src: '10.1.0.2', dst: '10.1.0.3' };
  assert.equal(verdict(r, { packet: p, physdev: { in: 'veth0', out: 'veth2', bridged: true } }), 'yes');
  assert.equal(verdict(r, { packet: p, physdev: { in: 'veth0', out: 'veth1', bridged: true } }), 'no');
  assert.equal(verdict(r, { packet: p, physdev: { in: 'veth9', out: 'veth2', bridged: true } }), 'no');
  assert.equal(
    verdict(r, { packet: p, physdev: { in: 'veth0', bridged: true } }),
    'no',
    '--physdev-is-bridged needs the output port',
  );
  assert.equal(verdict(r, { packet: p }), 'no', 'not bridged: un-negated options fail');
  const notBridged = rule('-A QUOTING -m physdev ! --physdev-is-in ! --physdev-is-out -j RETURN');
  assert.equal(verdict(notBridged, { packet: p }), 'yes');
  assert.equal(verdict(notBridged, { packet: p, physdev: { in: 'veth0', bridged: false } }), 'no');
});

test('an unknown match (-m ttl) next to a known one (hashlimit --hashlimit-upto) is unknown for a RETURN rule', () => {
  const cr = rule(
    '-A QUOTING -m ttl --ttl-gt 5 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name quoting -j RETURN',
  );
  assert.deepEqual(cr.unknowns, ['-m ttl: the engine does not model the TTL']);
  assert.equal(cr.never, false, '--hashlimit-upto lets a single packet through');
  assert.equal(verdict(cr, { packet: { src: '1.1.1.1', dst: '2.2.2.2' } }), 'unknown');
});

test('owner in OUTPUT: a failing length match decides before the unknown owner match', () => {
  const r = rule('-A OUTPUT -m owner --uid-owner 0 -m length --length 0:1500 -j ACCEPT');
  assert.equal(verdict(r, { hook: 'OUTPUT', packet: { src: '192.168.1.5', dst: '1.1.1.1', length: 1600 } }), 'no');
  assert.equal(verdict(r, { hook: 'OUTPUT', packet: { src: '192.168.1.5', dst: '1.1.1.1', length: 100 } }), 'unknown');
});

test('LOG, NFLOG, TCPMSS, TRACE and rules with no target never stop the walk', () => {
  for (const [line, table] of [
    ['-A INPUT -j LOG --log-prefix "INPUT drop: "', 'filter'],
    ['-A INPUT -j NFLOG --nflog-prefix "nflog \\"x\\"" --nflog-group 5', 'filter'],
    ['-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu', 'mangle'],
    ['-A PREROUTING -p tcp -m tcp --dport 9999 -j TRACE', 'raw'],
    ['-A QUOTING', 'filter'],
  ] as const) {
    const kind = rule(line, table).target.kind;
    assert.ok(kind === 'inert' || kind === 'none', `${line}: ${kind}`);
  }
  assert.equal(rule('-A INPUT -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset').target.kind, 'reject');
});
