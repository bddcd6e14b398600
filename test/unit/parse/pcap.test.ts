// The pcap reader on a real capture: tcpdump -w - on a veth end while the --active sender (python3)
// sent every probe kind twice from the other end (test/fixtures/active/probes-veth.pcap, captured
// in two network namespaces on this machine: 10.9.0.1 → 10.9.0.2, run tag 0x1234).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MARKER } from '../../../src/snapshot/active.ts';
import { parsePcap } from '../../../src/model/parse/pcap.ts';

const pcap = readFileSync(new URL('../../fixtures/active/probes-veth.pcap', import.meta.url));

test('every marked packet of a real capture: VXLAN 96 and 1500 bytes, IPIP, a pod-sourced ICMP echo reply', () => {
  const r = parsePcap(pcap, MARKER);
  assert.equal(r.problem, undefined);
  assert.deepEqual(
    r.packets.map((p) => `${p.run.toString(16)} ${p.id} ${p.src}>${p.dst} ${p.length}`),
    [
      '1234 1 10.9.0.1>10.9.0.2 100',
      '1234 1 10.9.0.1>10.9.0.2 100',
      '1234 2 10.9.0.1>10.9.0.2 1500',
      '1234 2 10.9.0.1>10.9.0.2 1500',
      '1234 3 10.9.0.1>10.9.0.2 100',
      '1234 3 10.9.0.1>10.9.0.2 100',
      '1234 4 10.65.0.5>10.9.0.2 100',
      '1234 4 10.65.0.5>10.9.0.2 100',
    ],
  );
});

test('truncated, empty or foreign input is reported, with the packets read before it', () => {
  assert.match(parsePcap(Buffer.alloc(0), MARKER).problem!, /empty/);
  assert.match(parsePcap(Buffer.from('not a pcap stream at all'), MARKER).problem!, /not a pcap/);
  const cut = parsePcap(pcap.subarray(0, pcap.length - 10), MARKER);
  assert.equal(cut.packets.length, 7);
  assert.match(cut.problem!, /truncated/);
  assert.equal(parsePcap(pcap, 0x01020304).packets.length, 0);
});
