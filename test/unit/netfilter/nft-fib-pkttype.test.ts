// fib route lookups and meta pkttype over input/nft-fib-pkttype.nft as `nft -j` printed it; the
// same rows go through a real kernel in test/lab/nft-rules.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateHook } from '../../../src/engine/netfilter/evaluate.ts';
import { parseNftJson } from '../../../src/model/parse/nft.ts';
import { fixture, host, hookInput, only } from './helpers.ts';
import { FIB_PKTTYPE_ROWS } from './nft-rows.ts';
import { packetTable } from './packet-table.ts';

const parsed = parseNftJson(fixture('netfilter/output/nft-fib-pkttype.nft.json'));
const env = host({
  addrs: { eth0: ['192.168.0.2'], cni0: ['10.0.0.1'], lo: ['127.0.0.1', '192.168.1.2'] },
  routes: { '0.0.0.0/0': 'eth0', '192.168.0.0/24': 'eth0', '10.0.0.0/8': 'cni0' },
});

packetTable('fib and meta pkttype', [], env, FIB_PKTTYPE_ROWS, parsed.value);

test('meta pkttype: which packet types the model cannot tell are unknown, with the reason', () => {
  const bcast = host({
    addrs: { eth0: ['192.168.0.2'] },
    broadcast: ['192.168.0.255'],
    routes: { '192.168.0.0/24': 'eth0' },
  });
  const o = only(
    evaluateHook(
      [],
      hookInput({
        hook: 'PREROUTING',
        in: 'eth0',
        packet: { src: '192.168.0.50', dst: '192.168.0.255', proto: 'icmp', icmpType: 8 },
      }),
      bcast,
      parsed.value,
    ),
  );
  assert.equal(o.verdict, 'unknown');
  assert.match(o.steps.at(-1)?.action ?? '', /directed broadcast/);
});

// nft_fib4_eval answers a DHCP client's 0.0.0.0 → 255.255.255.255 with the device it came by,
// without a lookup (the lookup of 0.0.0.0 would find the default route, eth0). Not sent in the
// lab: a packet from 0.0.0.0 needs a raw socket the lab's agent does not have.
packetTable(
  'fib: a DHCP client',
  [],
  env,
  [
    {
      name: 'from 0.0.0.0 on cni0 to the limited broadcast passes the reverse-path check',
      in: 'cni0',
      packet: { src: '0.0.0.0', dst: '255.255.255.255', proto: 'udp', sport: 68, dport: 67 },
      want: '',
    },
  ],
  parsed.value,
);
