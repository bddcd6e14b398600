// A native nftables host firewall (test/fixtures/netfilter/input/nft-host-firewall.nft, loaded
// with `nft -f` and dumped with `nft -j list ruleset`): interval and concatenated sets, a verdict
// map with a jump, ct state/mark, meta mark match and set, limit, log, notrack at raw priority,
// reject with tcp reset, DNAT through a map to address and port, masquerade with a port range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { unmodelledRules } from '../../../src/engine/netfilter/nft/compile.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { fixture, hookInput, host, only, path } from './helpers.ts';
import { packetTable } from './packet-table.ts';

const parsed = parseNftJson(fixture('netfilter/output/nft-host-firewall.nft.json'));
const nft = parsed.value;
const env = host({ addrs: { ens18: ['192.168.1.12'], cni0: ['10.244.3.1'], lo: ['127.0.0.1'] } });

test('host firewall fixture parses and every rule is modelled', () => {
  assert.deepEqual(parsed.warnings, []);
  for (const t of nft.tables) assert.deepEqual(unmodelledRules(t), []);
});

packetTable(
  'native host firewall',
  [],
  env,
  [
    {
      name: 'ssh: accept from the verdict map',
      in: 'ens18',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', dport: 22 },
      want: '',
      rule: /tcp dport vmap @by-port/,
    },
    {
      name: 'telnet: drop from the verdict map',
      in: 'ens18',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', dport: 23 },
      want: 'DROP',
      rule: /tcp dport vmap @by-port/,
    },
    {
      name: 'smtp from 10/8: jump smtp, accept',
      in: 'ens18',
      packet: { src: '10.1.2.3', dst: '192.168.1.12', dport: 25 },
      want: '',
      rule: /ip saddr 10\.0\.0\.0\/8 accept/,
    },
    {
      name: 'smtp from elsewhere: tcp reset',
      in: 'ens18',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', dport: 25 },
      want: 'REJECT',
      rule: /reject with tcp reset/,
    },
    {
      name: 'blocked source (prefix of an interval set)',
      in: 'ens18',
      packet: { src: '198.51.100.7', dst: '192.168.1.12', dport: 22 },
      want: 'DROP',
      rule: /ip saddr @blocked counter .*log prefix "blocked " drop/,
    },
    {
      name: 'blocked source (range of an interval set)',
      in: 'ens18',
      packet: { src: '203.0.113.205', dst: '192.168.1.12', dport: 22 },
      want: 'DROP',
    },
    {
      name: 'just outside the range',
      in: 'ens18',
      packet: { src: '203.0.113.211', dst: '192.168.1.12', dport: 22 },
      want: '',
    },
    {
      name: 'other port: the input policy drops',
      in: 'ens18',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', dport: 80 },
      want: 'DROP',
      rule: /policy drop/,
    },
    {
      name: 'ping within the limit',
      in: 'ens18',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', proto: 'icmp', icmpType: 8 },
      want: '',
      branch: /limit rate 10\/second: assumed within the limit/,
    },
    {
      name: 'forward to an allowed service (concatenated set)',
      in: 'ens18',
      out: 'cni0',
      packet: { src: '192.168.1.50', dst: '10.244.3.5', dport: 8080 },
      want: '',
      rule: /@allowed-svc accept/,
    },
    {
      name: 'forward udp 53 (same set, udp part)',
      in: 'ens18',
      out: 'cni0',
      packet: { src: '192.168.1.50', dst: '10.244.3.5', proto: 'udp', dport: 53 },
      want: '',
    },
    {
      name: 'forward to tcp 9090 of the pod subnet is dropped',
      in: 'ens18',
      out: 'cni0',
      packet: { src: '192.168.1.50', dst: '10.244.3.6', dport: 9090 },
      want: 'DROP',
      rule: /tcp dport 9090 drop # handle 22/,
    },
    {
      name: 'DNAT through a map to address and port',
      in: 'ens18',
      out: 'cni0',
      packet: { src: '192.168.1.50', dst: '192.168.1.12', dport: 8443 },
      want: '10.244.3.5:8080',
    },
    {
      name: 'a pod leaving is masqueraded',
      in: 'cni0',
      out: 'ens18',
      packet: { src: '10.244.3.5', dst: '8.8.8.8', proto: 'udp', dport: 53 },
      want: '',
      masq: true,
    },
  ],
  nft,
);

test('masquerade to a port range with fully-random: the range and the random port are said', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({ hook: 'POSTROUTING', out: 'ens18', packet: { src: '10.244.3.5', dst: '8.8.8.8', dport: 443 } }),
      env,
      nft,
    ),
  );
  assert.equal(o.nat?.kind, 'masquerade');
  assert.match(o.steps.at(-1)!.action, /MASQUERADE to 192\.168\.1\.12/);
  assert.match(o.steps.at(-1)!.action, /random/);
});

test('ct mark 7 in forward drops an established connection', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({
        hook: 'FORWARD',
        in: 'ens18',
        out: 'cni0',
        state: 'ESTABLISHED',
        packet: { src: '192.168.1.50', dst: '10.244.3.5', dport: 8080, connmark: 7 },
      }),
      env,
      nft,
    ),
  );
  assert.equal(o.verdict, 'drop');
  assert.match(o.steps.at(-1)!.raw, /ct mark 0x00000007 drop/);
});

test('notrack at raw priority leaves the VXLAN packet untracked', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({
        hook: 'PREROUTING',
        in: 'ens18',
        packet: { src: '192.168.1.11', dst: '192.168.1.12', proto: 'udp', dport: 4789 },
      }),
      env,
      nft,
    ),
  );
  assert.equal(o.ct.state, 'UNTRACKED');
});

test('a route chain sets the mark that a later chain reads', () => {
  const o = only(
    evaluateHook(
      [],
      hookInput({ hook: 'OUTPUT', out: 'ens18', packet: { src: '192.168.1.12', dst: '192.168.1.50', dport: 5201 } }),
      env,
      nft,
    ),
  );
  assert.equal(o.packet.mark, 0x100);
  assert.ok(path(o).some((s) => /meta mark 0x0 → 0x100/.test(s)));
});
