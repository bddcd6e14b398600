// Targets: MARK/CONNMARK arithmetic (xt_mark.c, xt_connmark.c), NAT address/port choice
// (nf_nat_core.c get_unique_tuple), REDIRECT (nf_nat_redirect.c), MASQUERADE without an address
// (nf_nat_masquerade.c drops). The rule sets as iptables-save printed them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { fmt, hookInput, host, only, path } from './helpers.ts';
import { iptablesSave } from '../../helpers/iptables-inline.ts';

const ranges = iptablesSave(`
  *mangle
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :FORWARD ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  [0:0] -A PREROUTING -i eth0 -j CONNMARK --restore-mark --nfmask 0xff00 --ctmask 0xff00
  [0:0] -A PREROUTING -i eth0 -m mark --mark 0x0/0xff00 -j MARK --set-xmark 0x100/0xff00
  [0:0] -A PREROUTING -i eth0 -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff00
  [0:0] -A PREROUTING -i eth1 -j MARK --set-xmark 0x0/0xffffff00
  [0:0] -A PREROUTING -i eth1 -j MARK --set-xmark 0x10000/0x10000
  [0:0] -A PREROUTING -i eth1 -j MARK --set-xmark 0x3/0x0
  [0:0] -A PREROUTING -i eth1 -j CONNMARK --set-xmark 0x7/0xf
  COMMIT
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  [0:0] -A PREROUTING -d 1.2.3.0/24 -j NETMAP --to 5.6.7.0/24
  [0:0] -A PREROUTING -d 198.51.100.10/32 -p tcp -m tcp --dport 8000:8010 -j DNAT --to-destination 10.0.0.1-10.0.0.3:9000-9010
  [0:0] -A PREROUTING -d 198.51.100.11/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.5
  [0:0] -A PREROUTING -d 198.51.100.12/32 -p udp -m udp --dport 53 -j DNAT --to-destination :5353
  [0:0] -A POSTROUTING -s 10.0.0.0/255.0.255.0 -o eth0 -p tcp -j SNAT --to-source 203.0.113.1-203.0.113.4:1024-2047
  [0:0] -A POSTROUTING -s 10.9.0.0/16 -o eth0 -p udp -j MASQUERADE --to-ports 40000-40100
  [0:0] -A POSTROUTING -s 10.8.0.0/16 -o eth1 -j MASQUERADE
  COMMIT
`);
const env = host({ addrs: { eth0: ['203.0.113.9'], eth2: ['192.0.2.1'] } });

test('CONNMARK restore, MARK --set-xmark, CONNMARK save with masks', () => {
  const known = only(
    evaluateHook(
      [ranges],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        state: 'ESTABLISHED',
        packet: { src: '8.8.8.8', dst: '203.0.113.9', connmark: 0x1234 },
      }),
      env,
    ),
  );
  // restore: (0 & ~0xff00) ^ (0x1234 & 0xff00) = 0x1200; the mark match 0x0/0xff00 then fails;
  // save: (0x1234 & ~0xff00) ^ (0x1200 & 0xff00) = 0x1234.
  assert.equal(known.packet.mark, 0x1200);
  assert.equal(known.packet.connmark, 0x1234);
  const fresh = only(
    evaluateHook(
      [ranges],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '8.8.8.8', dst: '203.0.113.9' } }),
      env,
    ),
  );
  assert.equal(fresh.packet.mark, 0x100);
  assert.equal(fresh.packet.connmark, 0x100);
  assert.deepEqual(path(fresh).slice(0, 3), [
    'mangle/PREROUTING: CONNMARK restore: mark 0x0 → 0x0',
    'mangle/PREROUTING: MARK 0x0 → 0x100',
    'mangle/PREROUTING: CONNMARK save: ctmark 0x0 → 0x100',
  ]);
});

test('CONNMARK does nothing without a conntrack entry', () => {
  const o = only(
    evaluateHook(
      [ranges],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        state: 'UNTRACKED',
        packet: { src: '8.8.8.8', dst: '203.0.113.9', connmark: 0x1234 },
      }),
      env,
    ),
  );
  assert.equal(o.packet.mark, 0x100);
  assert.equal(o.packet.connmark, 0x1234);
  assert.match(path(o)[0]!, /no conntrack entry \(UNTRACKED\)/);
});

test('MARK --and-mark / --or-mark / --xor-mark (saved as --set-xmark) and CONNMARK --set-xmark', () => {
  const o = only(
    evaluateHook(
      [ranges],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth1',
        state: 'ESTABLISHED',
        packet: { src: '8.8.8.8', dst: '203.0.113.9', mark: 0x12345, connmark: 0x1234 },
      }),
      env,
    ),
  );
  assert.equal(o.packet.mark, 0x10046); // (0x12345 & 0xff) | 0x10000, then ^ 0x3
  assert.equal(o.packet.connmark, 0x1237);
});

test('NETMAP keeps the host part', () => {
  const o = only(
    evaluateHook(
      [ranges],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '8.8.8.8', dst: '1.2.3.45' } }),
      env,
    ),
  );
  assert.equal(fmt(o.packet.dst), '5.6.7.45');
  assert.equal(o.nat?.kind, 'dnat');
});

test('DNAT to address and port ranges: the first of each, and the evaluator says so', () => {
  const o = only(
    evaluateHook(
      [ranges],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '8.8.8.8', dst: '198.51.100.10', dport: 8005 } }),
      env,
    ),
  );
  assert.equal(fmt(o.packet.dst), '10.0.0.1');
  assert.equal(o.packet.dport, 9000);
  assert.match(o.nat!.step.action, /first of 10\.0\.0\.1-10\.0\.0\.3; the kernel picks one/);
  assert.match(o.nat!.step.action, /port 9000 is the first of 9000-9010/);
});

test('DNAT with an address only keeps the port; with a port only keeps the address', () => {
  const addrOnly = only(
    evaluateHook(
      [ranges],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '8.8.8.8', dst: '198.51.100.11', dport: 80 } }),
      env,
    ),
  );
  assert.equal(fmt(addrOnly.packet.dst), '10.0.0.5');
  assert.equal(addrOnly.packet.dport, 80);
  const portOnly = only(
    evaluateHook(
      [ranges],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        packet: { src: '8.8.8.8', dst: '198.51.100.12', proto: 'udp', dport: 53 },
      }),
      env,
    ),
  );
  assert.equal(fmt(portOnly.packet.dst), '198.51.100.12');
  assert.equal(portOnly.packet.dport, 5353);
  assert.equal(portOnly.ct.dnat, true);
});

test('SNAT with a non-contiguous source mask; a source port inside the range is kept', () => {
  const post = (src: string, sport: number) =>
    only(
      evaluateHook(
        [ranges],
        hookInput({ hook: 'POSTROUTING', out: 'eth0', packet: { src, dst: '8.8.8.8', sport } }),
        env,
      ),
    );
  const inRange = post('10.5.0.7', 1500);
  assert.equal(fmt(inRange.packet.src), '203.0.113.1');
  assert.equal(inRange.packet.sport, 1500);
  assert.equal(post('10.5.0.7', 40000).packet.sport, 1024);
  // 10.5.1.7 & 255.0.255.0 = 10.0.1.0, not 10.0.0.0.
  assert.equal(post('10.5.1.7', 1500).nat, undefined);
});

test('MASQUERADE --to-ports; MASQUERADE out of a device without an address drops', () => {
  const masq = only(
    evaluateHook(
      [ranges],
      hookInput({
        hook: 'POSTROUTING',
        out: 'eth0',
        packet: { src: '10.9.1.1', dst: '8.8.8.8', proto: 'udp', sport: 50000 },
      }),
      env,
    ),
  );
  assert.equal(fmt(masq.packet.src), '203.0.113.9');
  assert.equal(masq.packet.sport, 40000);
  const none = only(
    evaluateHook(
      [ranges],
      hookInput({ hook: 'POSTROUTING', out: 'eth1', packet: { src: '10.8.1.1', dst: '8.8.8.8' } }),
      env,
    ),
  );
  assert.equal(none.verdict, 'drop');
  assert.match(none.steps.at(-1)!.action, /eth1 has no IPv4 address/);
});

const istio = iptablesSave(`
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :ISTIO_INBOUND - [0:0]
  :ISTIO_IN_REDIRECT - [0:0]
  :ISTIO_OUTPUT - [0:0]
  :ISTIO_REDIRECT - [0:0]
  [0:0] -A PREROUTING -p tcp -j ISTIO_INBOUND
  [0:0] -A OUTPUT -p tcp -j ISTIO_OUTPUT
  [0:0] -A ISTIO_INBOUND -p tcp -m tcp --dport 15008 -j RETURN
  [0:0] -A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN
  [0:0] -A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN
  [0:0] -A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN
  [0:0] -A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
  [0:0] -A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
  [0:0] -A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
  [0:0] -A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 1337 -j ISTIO_IN_REDIRECT
  [0:0] -A ISTIO_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
  [0:0] -A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
  [0:0] -A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner 1337 -j ISTIO_IN_REDIRECT
  [0:0] -A ISTIO_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
  [0:0] -A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
  [0:0] -A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
  [0:0] -A ISTIO_OUTPUT -j ISTIO_REDIRECT
  [0:0] -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
  COMMIT
`);
const pod = host({ addrs: { eth0: ['10.244.1.5'], lo: ['127.0.0.1'] } });

test('istio inbound: REDIRECT to Envoy on the address of the input device', () => {
  const o = only(
    evaluateHook(
      [istio],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '10.244.2.9', dst: '10.244.1.5', dport: 8080 } }),
      pod,
    ),
  );
  assert.equal(o.nat?.kind, 'redirect');
  assert.equal(fmt(o.packet.dst), '10.244.1.5');
  assert.equal(o.packet.dport, 15006);
  const health = only(
    evaluateHook(
      [istio],
      hookInput({ hook: 'PREROUTING', in: 'eth0', packet: { src: '10.244.2.9', dst: '10.244.1.5', dport: 15021 } }),
      pod,
    ),
  );
  assert.equal(health.nat, undefined);
});

test('istio outbound depends on the sending process (-m owner): unknown, with the rule', () => {
  const o = only(
    evaluateHook(
      [istio],
      hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '10.244.1.5', dst: '10.96.0.10' } }),
      pod,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.equal(o.unknown?.rule.position, 4);
  assert.match(o.unknown!.reason, /-m owner: it depends on the process that sent the packet/);
});

const redsocks = iptablesSave(
  `
  *nat
  :PREROUTING ACCEPT [0:0]
  :INPUT ACCEPT [0:0]
  :OUTPUT ACCEPT [0:0]
  :POSTROUTING ACCEPT [0:0]
  :REDSOCKS - [0:0]
  [0:0] -A PREROUTING -p tcp -j REDSOCKS
  [0:0] -A OUTPUT -p tcp -j REDSOCKS
  [0:0] -A REDSOCKS -d 0.0.0.0/8 -j RETURN
  [0:0] -A REDSOCKS -d 10.0.0.0/8 -j RETURN
  [0:0] -A REDSOCKS -d 127.0.0.0/8 -j RETURN
  [0:0] -A REDSOCKS -d 169.254.0.0/16 -j RETURN
  [0:0] -A REDSOCKS -d 172.16.0.0/12 -j RETURN
  [0:0] -A REDSOCKS -d 192.168.0.0/16 -j RETURN
  [0:0] -A REDSOCKS -d 224.0.0.0/4 -j RETURN
  [0:0] -A REDSOCKS -d 240.0.0.0/4 -j RETURN
  [0:0] -A REDSOCKS -p tcp -j REDIRECT --to-ports 12345
  COMMIT
`,
  'legacy',
);

test('REDIRECT in OUTPUT goes to 127.0.0.1; in PREROUTING to the input device, or drops without one', () => {
  const local = only(
    evaluateHook(
      [redsocks],
      hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.0.2.1', dst: '93.184.216.34', dport: 443 } }),
      env,
    ),
  );
  assert.equal(fmt(local.packet.dst), '127.0.0.1');
  assert.equal(local.packet.dport, 12345);
  const lan = only(
    evaluateHook(
      [redsocks],
      hookInput({ hook: 'PREROUTING', in: 'eth2', packet: { src: '192.0.2.50', dst: '93.184.216.34', dport: 443 } }),
      env,
    ),
  );
  assert.equal(fmt(lan.packet.dst), '192.0.2.1');
  const noAddr = only(
    evaluateHook(
      [redsocks],
      hookInput({ hook: 'PREROUTING', in: 'eth5', packet: { src: '192.0.2.50', dst: '93.184.216.34', dport: 443 } }),
      env,
    ),
  );
  assert.equal(noAddr.verdict, 'drop');
  const privateDst = only(
    evaluateHook(
      [redsocks],
      hookInput({ hook: 'OUTPUT', out: 'eth0', packet: { src: '192.0.2.1', dst: '10.1.2.3', dport: 443 } }),
      env,
    ),
  );
  assert.equal(privateDst.nat, undefined);
});
