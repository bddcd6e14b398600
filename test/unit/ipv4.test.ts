import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cidrContains,
  cidrOverlaps,
  cidrWithin,
  formatCidr4,
  formatIpv4,
  parseCidr4,
  parseIpv4,
  PrefixIndex,
} from '../../src/lib/ipv4.ts';
import type { Cidr4 } from '../../src/lib/ipv4.ts';
import { mulberry32 } from '../fuzz/prng.ts';

test('parseIpv4 accepts dotted quads and rejects everything else', () => {
  assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  assert.equal(formatIpv4(parseIpv4('192.168.3.110')!), '192.168.3.110');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', 'a.b.c.d', '1.2.3.4 ', '-1.2.3.4', '1..3.4']) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test('parseCidr4 clears host bits, reads dotted masks and default', () => {
  assert.equal(formatCidr4(parseCidr4('10.122.17.77/26')!), '10.122.17.64/26');
  assert.equal(formatCidr4(parseCidr4('10.0.0.0/255.255.0.0')!), '10.0.0.0/16');
  assert.equal(formatCidr4(parseCidr4('default')!), '0.0.0.0/0');
  assert.equal(formatCidr4(parseCidr4('1.2.3.4')!), '1.2.3.4/32');
  assert.equal(parseCidr4('10.0.0.0/33'), undefined);
  assert.equal(parseCidr4('10.0.0.0/255.0.255.0'), undefined, 'non-contiguous mask');
});

test('containment and overlap', () => {
  const pod = parseCidr4('10.244.0.0/16')!;
  const block = parseCidr4('10.244.3.0/24')!;
  assert.ok(cidrContains(pod, parseIpv4('10.244.3.7')!));
  assert.ok(!cidrContains(block, parseIpv4('10.244.4.1')!));
  assert.ok(cidrWithin(block, pod));
  assert.ok(!cidrWithin(pod, block));
  assert.ok(cidrOverlaps(pod, block) && cidrOverlaps(block, pod));
  assert.ok(!cidrOverlaps(block, parseCidr4('10.245.0.0/16')!));
  assert.ok(cidrContains(parseCidr4('0.0.0.0/0')!, parseIpv4('8.8.8.8')!));
});

test('PrefixIndex finds what a scan of every prefix finds: the longest, the first listed on a tie', () => {
  const rnd = mulberry32(1515);
  for (let round = 0; round < 50; round++) {
    const prefixes = Array.from({ length: 1 + Math.floor(rnd() * 40) }, (_, i) => {
      const len = [0, 8, 16, 24, 26, 32][Math.floor(rnd() * 6)]!;
      return {
        c: parseCidr4(`10.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 256)}/${len}`)!,
        i,
      };
    });
    const idx = new PrefixIndex<number>();
    for (const p of prefixes) idx.add(p.c, p.i);
    for (let k = 0; k < 200; k++) {
      const ip = parseIpv4(`10.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 3)}.${Math.floor(rnd() * 256)}`)!;
      const maxLen = rnd() > 0.5 ? 32 : Math.floor(rnd() * 33);
      let best: { c: Cidr4; i: number } | undefined;
      for (const p of prefixes)
        if (p.c.len <= maxLen && cidrContains(p.c, ip) && (best === undefined || p.c.len > best.c.len)) best = p;
      assert.equal(idx.longest(ip, maxLen), best?.i);
    }
  }
});

test('parseIpv4 reads exactly the dotted quads of the octet grammar 25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d', () => {
  const octet = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
  const byGrammar = (s: string): number | undefined => {
    const parts = s.split('.');
    if (parts.length !== 4 || !parts.every((p) => octet.test(p))) return undefined;
    return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
  };
  const pieces = [
    '0',
    '00',
    '01',
    '1',
    '9',
    '10',
    '99',
    '100',
    '199',
    '200',
    '249',
    '250',
    '255',
    '256',
    '299',
    '300',
    '999',
    '1000',
    '',
    ' 1',
    '1 ',
    'a',
    '-1',
    '+1',
    '٣',
    '0x1',
  ];
  let seed = 7;
  const pick = (): string => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return pieces[seed % pieces.length]!;
  };
  for (let i = 0; i < 20000; i++) {
    const n = 3 + (i % 3);
    const s = Array.from({ length: n }, pick).join(i % 7 === 0 ? '..' : '.');
    assert.equal(parseIpv4(s), byGrammar(s), JSON.stringify(s));
  }
  for (const s of ['1.2.3.4', '255.255.255.255', '0.0.0.0', '1.2.3.4.', '.1.2.3', '1.2.3', '01.2.3.4', '1.2.3.4\n'])
    assert.equal(parseIpv4(s), byGrammar(s), s);
});
