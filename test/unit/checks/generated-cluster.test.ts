// The scale bench's generated cluster (bench/gen/cluster.ts) is a healthy one: doctor finds
// nothing on it, as on the real capture it is made from (a finding there is a generator bug that
// would swamp the bench, as a never-replaced allow-list once did, every pair a finding). And the
// same cluster read from a v2 snapshot, its iptables parsed from shared pieces
// (parseIptablesPieced) and compiled once per shared rule, gives doctor exactly the same report.
// The pair checks decide a node from its own facts when it cannot be wrong toward any peer
// (tunnel-source's quiet nodes): a fault on one node among healthy ones must still be named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateCluster } from '../../../bench/gen/cluster.ts';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { buildModel } from '../../../src/model/model.ts';
import { decodeSnapshot } from '../../../src/snapshot/io.ts';
import { piecedSection } from '../../../src/snapshot/pieced.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';
import { FAULTS, generatedSnapshot } from '../../helpers/cluster-faults.ts';
import { encodeV2 } from '../../helpers/snapshot-v2.ts';

async function v2(s: Snapshot): Promise<Snapshot> {
  return decodeSnapshot(await encodeV2(s), 'generated.snap.gz');
}

test('a generated 4-node cluster: doctor finds nothing, and the same from its v2 snapshot', async () => {
  const g = generateCluster({ nodes: 4, services: 40, endpointsPerService: 3 });
  const v1: Snapshot = { ...g.head, hosts: Object.fromEntries(g.names.map((n, i) => [n, g.host(i)])) } as Snapshot;
  const fromV1 = doctor(analysisContext(buildModel(v1)));
  assert.deepEqual(
    fromV1.findings.map((f) => `${f.id} ${f.summary}`),
    [],
  );
  const read = await v2(v1);
  assert.ok(
    Object.values(read.hosts).every((h) => piecedSection(h.sections, 'iptables-nft-save') !== undefined),
    'iptables held in pieces',
  );
  const fromV2 = doctor(analysisContext(buildModel(read)));
  assert.equal(JSON.stringify(fromV2), JSON.stringify(fromV1));
});

test("a node's own FORWARD policy DROP: quoted with that node's counters, from v1 and from v2 alike", async () => {
  const g = generateCluster({ nodes: 4, services: 40, endpointsPerService: 3 });
  const hosts = g.names.map((n, i) => {
    const h = g.host(i);
    if (i !== 2) return [n, h] as const;
    const save = h.sections['iptables-nft-save']!;
    assert.match(save, /^:FORWARD ACCEPT \[/m);
    return [
      n,
      {
        ...h,
        sections: { ...h.sections, 'iptables-nft-save': save.replace(/^:FORWARD ACCEPT \[/m, ':FORWARD DROP [') },
      },
    ] as const;
  });
  const v1: Snapshot = { ...g.head, hosts: Object.fromEntries(hosts) } as Snapshot;
  const fromV1 = doctor(analysisContext(buildModel(v1)));
  const drop = fromV1.findings.find((f) => f.id === 'forward-policy-drop');
  assert.equal(drop?.node, g.names[2]);
  // The evidence quotes node 2's rules as it printed them, counters included.
  assert.ok(
    drop?.evidence.slice(1).every((l) => /^\[\d+:\d+\] -A FORWARD /.test(l)),
    drop?.evidence.join('\n'),
  );
  const read = await v2(v1);
  const model = buildModel(read);
  // Every host a view over the first host's chains (node 2's FORWARD its own, with DROP).
  const views = [...model.hosts.values()].filter((h) => h.iptables.some((rs) => rs.said !== undefined));
  assert.equal(views.length, 4);
  const fromV2 = doctor(analysisContext(model));
  assert.equal(JSON.stringify(fromV2), JSON.stringify(fromV1));
});

/** Each finding as "id node → the other node it names" (the peer of a pair finding). */
function pairs(s: Snapshot): string[] {
  return doctor(analysisContext(buildModel(s))).findings.map((f) => {
    const peer = f.summary.match(/node-\d{4}/g)?.find((n) => n !== f.node);
    return `${f.id} ${f.node}${peer !== undefined ? ` → ${peer}` : ''}`;
  });
}

const others = (a: number, n: number): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => i !== a);
const name = (i: number): string => `node-${String(i).padStart(4, '0')}`;

/** One node's wrong route, fdb entry, neighbour, tunnel source and one peer's allow-list, among 16 healthy nodes. */
function faulty(): Snapshot {
  const s = generatedSnapshot(16);
  FAULTS.wrongFdbDst(s, 2, 6, 9);
  FAULTS.wrongRoute(s, 3, 7, 5);
  FAULTS.missingFdb(s, 4, 8);
  FAULTS.wrongLocal(s, 5, '172.16.200.5');
  FAULTS.missingAllowListEntry(s, 9, 1);
  FAULTS.wrongNeighborMac(s, 10, 11, 12);
  return s;
}

const EXPECTED = [
  'tunnel-next-hop-wrong node-0002 → node-0006',
  'tunnel-next-hop-wrong node-0003 → node-0007',
  'tunnel-next-hop-wrong node-0004 → node-0008',
  'tunnel-next-hop-wrong node-0010 → node-0011',
  'tunnel-source-mismatch node-0001 → node-0009',
  ...others(5, 16).map((i) => `tunnel-source-mismatch node-0005 → ${name(i)}`),
  'vtep-mac-mismatch node-0010 → node-0011',
];

test('generated 16-node cluster: every pair fault of one node is reported, the healthy nodes decided from their own facts', () => {
  assert.deepEqual(pairs(faulty()), EXPECTED);
});

test('generated 16-node cluster: the same pair faults when one peer lacks its ipsets (every pair walked)', () => {
  const s = faulty();
  FAULTS.sectionFailed(s, 13, 'ipset');
  assert.deepEqual(pairs(s), [...EXPECTED, 'data-missing node-0013']);
});

test('generated 16-node cluster without tunnel local: a node whose underlay route picks another source is named for every peer', () => {
  const s = generatedSnapshot(16);
  FAULTS.noLocal(s);
  assert.deepEqual(pairs(s), []);
  FAULTS.wrongRouteSource(s, 6, '172.16.250.6');
  FAULTS.missingAllowListEntry(s, 12, 3);
  assert.deepEqual(pairs(s), [
    'tunnel-source-mismatch node-0003 → node-0012',
    ...others(6, 16).map((i) => `tunnel-source-mismatch node-0006 → ${name(i)}`),
  ]);
});
