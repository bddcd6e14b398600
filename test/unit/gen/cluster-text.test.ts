// The cluster generator (bench/gen/cluster.ts) renders each node's ruleset from the shared tables
// prepared once (bench/gen/save-tables.ts SharedSave): the text must be what it was when every
// node's tables were copied, merged and rendered whole (the digests below are that version's), and
// a node's own chains must land where merging them into the tables would put them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { generateCluster } from '../../../bench/gen/cluster.ts';
import { mergeInto, SharedSave, splitSave } from '../../../bench/gen/save-tables.ts';
import { UniqueContent } from '../../../bench/gen/unique-content.ts';

test('generated clusters: every host as the per-node merge-and-render generator made it', () => {
  // sha256 of the head then each host's JSON, from the generator of commit 3142cec.
  const want: [number, number, string][] = [
    [6, 120, '5b33d9297ee0ba9a5c7f70f35485ea32fa01df1c8f5d1d9a16172c9e1ee8f649'],
    [3, 1000, '227474e5d993868abb2516ab63b4fd227163fb132e56be72aa7a9f1075754c9c'],
  ];
  for (const [nodes, services, digest] of want) {
    const g = generateCluster({ nodes, services, endpointsPerService: 3 });
    const h = createHash('sha256').update(JSON.stringify(g.head));
    for (let i = 0; i < nodes; i++) h.update(JSON.stringify(g.host(i)));
    assert.equal(h.digest('hex'), digest, `${nodes} nodes × ${services} Services`);
  }
});

const SHARED = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:B-CHAIN - [0:0]
:D-CHAIN - [0:0]
[0:0] -A INPUT -j B-CHAIN
[0:0] -A FORWARD -j D-CHAIN
[0:0] -A B-CHAIN -j ACCEPT
[0:0] -A D-CHAIN -s 10.0.0.1/32 -j DROP
[0:0] -A D-CHAIN -s 10.0.0.2/32 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:N-CHAIN - [0:0]
[0:0] -A PREROUTING -j N-CHAIN
COMMIT
`;

const NODE = `*filter
:OUTPUT ACCEPT [0:0]
:A-NEW - [0:0]
:C-NEW - [0:0]
:D-CHAIN - [0:0]
:E-NEW - [0:0]
:FORWARD DROP [0:0]
[0:0] -A OUTPUT -j A-NEW
[0:0] -A A-NEW -j RETURN
[0:0] -A C-NEW -j RETURN
[0:0] -A D-CHAIN -s 10.0.0.3/32 -j DROP
[0:0] -A E-NEW -j RETURN
[0:0] -A FORWARD -j E-NEW
COMMIT
*raw
:OUTPUT ACCEPT [0:0]
[0:0] -A OUTPUT -j CT --notrack
COMMIT
`;

test('SharedSave: a node’s chains and rules where merging them into the tables puts them', () => {
  const merged = splitSave(SHARED);
  mergeInto(merged, splitSave(NODE));
  for (let seed = 1; seed < 40; seed++) {
    const rendered = new SharedSave(splitSave(SHARED)).render(splitSave(NODE), seed, 'today');
    assert.equal(rendered, new SharedSave(merged).render([], seed, 'today'), `seed ${seed}`);
  }
  const text = new SharedSave(splitSave(SHARED)).render(splitSave(NODE), 1, 'today');
  // New builtins after the shared ones, new user chains sorted in, appended rules after the shared.
  assert.deepEqual(
    text
      .split('\n')
      .filter((l) => l.startsWith(':') || l.startsWith('*'))
      .join(' '),
    '*filter :INPUT ACCEPT [0:0] :FORWARD DROP [0:0] :OUTPUT ACCEPT [0:0] :A-NEW - [0:0] :B-CHAIN - [0:0] :C-NEW - [0:0] :D-CHAIN - [0:0] :E-NEW - [0:0] *nat :PREROUTING ACCEPT [0:0] :N-CHAIN - [0:0] *raw :OUTPUT ACCEPT [0:0]',
  );
  assert.deepEqual(
    text
      .split('\n')
      .filter((l) => l.includes(' -A '))
      .map((l) => l.slice(l.indexOf(' -A ') + 4)),
    [
      'INPUT -j B-CHAIN',
      'FORWARD -j D-CHAIN',
      'FORWARD -j E-NEW',
      'OUTPUT -j A-NEW',
      'A-NEW -j RETURN',
      'B-CHAIN -j ACCEPT',
      'C-NEW -j RETURN',
      'D-CHAIN -s 10.0.0.1/32 -j DROP',
      'D-CHAIN -s 10.0.0.2/32 -j DROP',
      'D-CHAIN -s 10.0.0.3/32 -j DROP',
      'E-NEW -j RETURN',
      'PREROUTING -j N-CHAIN',
      'OUTPUT -j CT --notrack',
    ],
  );
  // Counters: some rule of the 13 gets one that is not 0 for some seed (a per-node sequence).
  assert.ok(
    Array.from({ length: 40 }, (_, s) => new SharedSave(splitSave(SHARED)).render(splitSave(NODE), s, 'd')).some((t) =>
      /^\[[1-9]\d*:\d+\] -A /m.test(t),
    ),
  );
});

test('UniqueContent: the bytes of the per-line version (chains grouped line by line, each hashed)', () => {
  // Figures of bench/scale.bench.ts's UniqueContent at commit 3142cec.
  const g = generateCluster({ nodes: 6, services: 120, endpointsPerService: 3 });
  const u = new UniqueContent();
  for (let i = 0; i < 6; i++) u.host(g.host(i).sections);
  assert.equal(u.bytes, 385867);
  // A chain in two runs, a tab or a no-break space ending a chain name, a rule without one.
  const odd = new UniqueContent();
  const text =
    '*filter\n:A - [0:0]\n:B - [1:2]\n[3:4] -A A -j B\n[0:0] -A B -j ACCEPT\n[0:0] -A A\t-j DROP\n[0:0] -A A -j RETURN\n[0:0] -A Ab -j X\n[0:0] -A \n[5:5] -A A\u00a0x\n# c\nCOMMIT\n';
  odd.host({ 'iptables-nft-save': text, x: 'y' });
  odd.host({
    'iptables-nft-save': text.replace('[3:4]', '[9:9]'),
    'iptables-legacy-save': ':A - [0:0]\n[0:0] -A A -j B',
    x: 'y',
  });
  assert.equal(odd.bytes, 199);
});
