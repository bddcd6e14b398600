// The cases of the "absent data" issue, one by one, on the example snapshots: a section missing,
// failed or unparseable is never read as empty state, findings are never derived from it, and the
// report names what is missing and how to get it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisContext } from '../../../src/checks/context.ts';
import { doctor } from '../../../src/checks/queries/doctor.ts';
import { externalIpQuery } from '../../../src/checks/queries/externalip.ts';
import { lanQuery } from '../../../src/checks/queries/lan.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import type { ReportDoc } from '../../../src/checks/report-doc.ts';
import { unusableHostAddress } from '../../../src/checks/resolve.ts';
import { InputError } from '../../../src/lib/errors.ts';
import { buildModel } from '../../../src/model/model.ts';
import { renderTable } from '../../../src/report/table.ts';
import { paint } from '../../../src/report/colour.ts';
import { validateSnapshot } from '../../../src/snapshot/validate.ts';
import { loadExample } from '../../honesty/mutations.ts';
import type { RawSnapshot } from '../../honesty/mutations.ts';

function ctxOf(s: RawSnapshot) {
  return analysisContext(buildModel(validateSnapshot(s, 'test')));
}
function edited(example: string, edit: (s: RawSnapshot) => void): RawSnapshot {
  const s = loadExample(example);
  edit(s);
  return s;
}
const ids = (d: ReportDoc) => d.findings.map((f) => `${f.id}@${f.node ?? ''}`);
const missing = (d: ReportDoc) => d.findings.filter((f) => f.id === 'data-missing');

test('bridge-fdb and ip-neigh not collected: no tunnel-next-hop-wrong, data-missing names them', () => {
  const d = doctor(
    ctxOf(
      edited('healthy', (s) => {
        delete s.hosts['node-a']!.sections['bridge-fdb'];
        s.hosts['node-a']!.errors['ip-neigh'] = 'ip: not found';
        delete s.hosts['node-a']!.sections['ip-neigh'];
      }),
    ),
  );
  assert.ok(!ids(d).some((i) => i.startsWith('tunnel-next-hop-wrong')), ids(d).join());
  const m = missing(d).find((f) => f.node === 'node-a');
  assert.ok(m !== undefined, ids(d).join());
  assert.ok(m.evidence.some((e) => /bridge-fdb is not in the snapshot/.test(e)));
  assert.ok(m.evidence.some((e) => /ip-neigh could not be collected \(ip: not found\)/.test(e)));
  assert.match(m.fix, /bridge -j fdb show/);
  assert.equal(d.verdict, 'unknown');
});

test('sysctl not collected: no forwarding-disabled, doctor is not HEALTHY', () => {
  const d = doctor(ctxOf(edited('healthy', (s) => delete s.hosts['node-b']!.sections['sysctl'])));
  assert.ok(!ids(d).some((i) => i.startsWith('forwarding-disabled')));
  assert.deepEqual(
    missing(d).map((f) => f.node),
    ['node-b'],
  );
  assert.match(missing(d)[0]!.summary, /forwarding.*rp-filter|rp-filter.*forwarding/);
});

test('ip-route "{}" or absent: no missing-pod-route', () => {
  for (const edit of [
    (s: RawSnapshot) => {
      s.hosts['node-a']!.sections['ip-route'] = '{}';
    },
    (s: RawSnapshot) => {
      delete s.hosts['node-a']!.sections['ip-route'];
    },
  ]) {
    const d = doctor(ctxOf(edited('healthy', edit)));
    assert.ok(!ids(d).some((i) => i.startsWith('missing-pod-route')), ids(d).join());
    assert.ok(missing(d).some((f) => f.node === 'node-a' && /ip-route/.test(f.summary)));
  }
});

test('a host entry {} is node-not-probed, not a node with no routes', () => {
  const d = doctor(
    ctxOf(
      edited('healthy', (s) => {
        s.hosts['node-c'] = { sections: {}, errors: {} };
      }),
    ),
  );
  assert.deepEqual(ids(d), ['node-not-probed@node-c']);
});

test('ip-addr or iptables-*-save not collected: not HEALTHY', () => {
  for (const section of ['ip-addr', 'iptables-nft-save', 'iptables-legacy-save']) {
    const d = doctor(ctxOf(edited('healthy', (s) => delete s.hosts['node-b']!.sections[section])));
    assert.equal(d.verdict, 'unknown', section);
    assert.ok(
      missing(d).some((f) => f.node === 'node-b' && f.summary.includes(section)),
      section,
    );
  }
});

test("rp_filter example without node-c's sysctl: not HEALTHY, the gap is named", () => {
  const d = doctor(ctxOf(edited('rp-filter-tunnel', (s) => delete s.hosts['node-c']!.sections['sysctl'])));
  assert.equal(d.verdict, 'unknown');
  assert.ok(missing(d).some((f) => f.node === 'node-c' && /sysctl/.test(f.summary)));
  assert.ok(
    d.checks!.some((c) => c.check === 'rp-filter' && c.status === 'partial' && /node-c: sysctl/.test(c.reason!)),
  );
});

test('no objects at all: not HEALTHY, each missing kind named', () => {
  const d = doctor(ctxOf(edited('healthy', (s) => delete s.objects)));
  assert.equal(d.verdict, 'unknown');
  const kinds = missing(d).map((f) => /^objects\.(\w+)/.exec(f.summary)?.[1]);
  for (const k of ['nodes', 'services', 'pods']) assert.ok(kinds.includes(k), kinds.join());
  assert.ok(d.checks!.some((c) => c.status === 'not-enough-data'));
});

test('flow commands show parser warnings', () => {
  const d = podToPod(
    ctxOf(
      edited('healthy', (s) => {
        s.hosts['node-b']!.sections['sysctl'] += 'this is not a sysctl line\n';
      }),
    ),
    { source: 'default/client-0', destination: 'default/web-1', namespace: 'default', protocol: 'tcp', port: 8080 },
  );
  assert.ok(
    d.notes.some((n) => /^node-b: 1 parser warning/.test(n)),
    d.notes.join('\n'),
  );
});

test('two pods with one IP: pod-to-pod is not REACHABLE, the duplicate is a finding, lookup by IP refuses', () => {
  const s = edited('healthy', (x) => {
    const web1 = x.objects!['pods']!.find((p) => (p as { metadata: { name: string } }).metadata.name === 'web-1') as {
      status: { podIP: string; podIPs: { ip: string }[] };
    };
    web1.status.podIP = '10.65.0.130';
    web1.status.podIPs = [{ ip: '10.65.0.130' }];
  });
  const ctx = ctxOf(s);
  const d = podToPod(ctx, {
    source: 'default/client-0',
    destination: 'default/web-1',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
  });
  assert.notEqual(d.verdict, 'reachable');
  assert.ok(
    ids(d).some((i) => i.startsWith('pod-ip-duplicate')),
    ids(d).join(),
  );
  assert.ok(ids(doctor(ctx)).some((i) => i.startsWith('pod-ip-duplicate')));
  assert.throws(
    () =>
      podToPod(ctx, {
        source: 'default/client-0',
        destination: '10.65.0.130',
        namespace: 'default',
        protocol: 'tcp',
        port: 8080,
      }),
    /belongs to 2 pods/,
  );
});

test('an extra host entry copying a node is left out and said so', () => {
  const ctx = ctxOf(
    edited('healthy', (s) => {
      s.hosts['node-x'] = structuredClone(s.hosts['node-a']!);
    }),
  );
  assert.ok(!ctx.model.hosts.has('node-x'));
  assert.ok(!ctx.world.hosts.has('node-x'));
  assert.deepEqual(ids(doctor(ctx)), ['host-not-in-cluster@node-x']);
});

test('lan refuses addresses no LAN host has: syntactic and from the model', () => {
  const ctx = ctxOf(loadExample('rp-filter-tunnel'));
  for (const ip of [
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '127.0.0.1',
    '10.65.0.2',
    '192.168.1.11',
    '10.65.0.200',
  ]) {
    assert.throws(
      () => lanQuery(ctx, { lanHost: ip, target: 'default/web-0', namespace: 'default', protocol: 'tcp', port: 8080 }),
      (e: unknown) => e instanceof InputError && /not a host on the LAN/.test(e.message),
      ip,
    );
  }
  assert.throws(
    () => externalIpQuery(ctx, { namespace: 'default', allNamespaces: true, from: '10.65.0.2' }),
    /pod default\/client-0/,
  );
  assert.equal(unusableHostAddress('192.168.1.50'), undefined);
});

test('doctor says which checks ran and which were skipped, in json and the table', () => {
  const d = doctor(ctxOf(loadExample('healthy')));
  const masq = d.checks!.find((c) => c.check === 'masquerade-config')!;
  assert.equal(masq.status, 'skipped');
  assert.match(masq.reason!, /not Cilium/);
  assert.ok(d.checks!.filter((c) => c.status === 'ran').length >= 10);
  const table = renderTable(d, paint(false), 120);
  assert.match(table, /Checks \(\d+ of \d+ ran in full\):/);
  assert.match(table, /masquerade-config: skipped \(the cluster runs calico, not Cilium\)/);
});
