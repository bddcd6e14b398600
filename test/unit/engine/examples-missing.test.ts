// The bundled examples with a section taken away, as a probe that could not run a tool leaves them:
// the commands of the README answer unknown, naming the node and the section, instead of a verdict
// derived from the emptiness (README "Commands"; issue: "a missing tool is data").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analysisContext } from '../../../src/checks/context.ts';
import type { AnalysisContext } from '../../../src/checks/context.ts';
import { externalIpQuery } from '../../../src/checks/queries/externalip.ts';
import { lanQuery } from '../../../src/checks/queries/lan.ts';
import { podToPod } from '../../../src/checks/queries/pod-to-pod.ts';
import { buildModel } from '../../../src/model/model.ts';
import type { ReportDoc } from '../../../src/report/document.ts';
import { decodeSnapshot } from '../../../src/snapshot/io.ts';
import type { Snapshot } from '../../../src/snapshot/types.ts';

type Edit = (s: Snapshot) => void;

/** Findings a failed walk gives (checks/flow/classify.ts), other than path-unknown. */
const WALK_FAULTS = new Set([
  'rp-filter-drop',
  'forwarding-disabled',
  'no-route',
  'blackhole-route',
  'netfilter-drop',
  'netfilter-reject',
  'service-no-endpoints',
  'martian-source',
  'link-down',
  'no-neighbor',
  'no-decapsulation',
  'routing-loop',
  'reply-source-mismatch',
]);

function context(example: string, edit: Edit = () => {}): AnalysisContext {
  const snap = decodeSnapshot(readFileSync(new URL(`../../../examples/${example}.json`, import.meta.url)), example);
  edit(snap);
  return analysisContext(buildModel(snap));
}

/** Takes `section` away on `nodes`; with `error`, as the probe records a tool that failed. */
const drop =
  (section: string, nodes: string[], error?: string): Edit =>
  (s) => {
    for (const n of nodes) {
      delete s.hosts[n]!.sections[section];
      if (error !== undefined) s.hosts[n]!.errors[section] = error;
    }
  };

const replace =
  (section: string, nodes: string[], text: string): Edit =>
  (s) => {
    for (const n of nodes) s.hosts[n]!.sections[section] = text;
  };

/** The unknown-path findings, as "node section". */
function missing(doc: ReportDoc): string[] {
  return doc.findings.filter((f) => f.id === 'path-unknown').map((f) => `${f.node} ${f.summary}`);
}

const lanRp = (ctx: AnalysisContext) =>
  lanQuery(ctx, {
    lanHost: '192.168.1.50',
    target: 'default/web-0',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
    via: 'node-a',
  });

test('rp-filter-tunnel, `lan` of the README: node-c without sysctl is unknown, not healthy or reachable', () => {
  assert.equal(lanRp(context('rp-filter-tunnel')).verdict, 'partial');
  for (const edit of [drop('sysctl', ['node-c']), drop('sysctl', ['node-c'], 'sysctl: not found')]) {
    const doc = lanRp(context('rp-filter-tunnel', edit));
    assert.equal(doc.verdict, 'unknown');
    assert.ok(
      missing(doc).some((m) => /^node-c .*on node-c: sysctl (is not in the snapshot|could not be collected)/.test(m)),
      missing(doc).join('\n'),
    );
    assert.ok(!doc.findings.some((f) => f.id === 'rp-filter-drop' || f.id === 'forwarding-disabled'));
  }
});

const externalIp = (ctx: AnalysisContext) =>
  externalIpQuery(ctx, { namespace: 'default', allNamespaces: true, from: '192.168.1.50' });

test('externalip-node-address, `externalip -A --from`: without ipvsadm the IPVS decision is unknown', () => {
  assert.equal(externalIp(context('externalip-node-address')).verdict, 'unreachable');
  const doc = externalIp(context('externalip-node-address', drop('ipvsadm', ['node-a', 'node-b', 'node-c'])));
  assert.equal(doc.verdict, 'unknown');
  const f = doc.findings.find((x) => x.id === 'path-unknown');
  assert.equal(f?.node, 'node-a');
  assert.match(f!.summary, /IPVS .* ipvsadm is not in the snapshot/);
  assert.ok(f!.evidence.some((e) => e.includes('ipvsadm -S -n')));
  assert.match(f!.fix, /ipvsadm -S -n/);
});

test('externalip-node-address, `externalip -A --from`: without node-a addresses, who holds the externalIP is unknown', () => {
  const cases: [string, Edit][] = [
    ['deleted', drop('ip-addr', ['node-a'])],
    ['failed', drop('ip-addr', ['node-a'], 'ip: permission denied')],
    ['garbage', replace('ip-addr', ['node-a'], 'not the output of ip {[')],
  ];
  for (const [how, edit] of cases) {
    const doc = externalIp(context('externalip-node-address', edit));
    assert.equal(doc.verdict, 'unknown', how);
    assert.ok(!doc.findings.some((f) => WALK_FAULTS.has(f.id)), `${how}: ${doc.findings.map((f) => f.id).join()}`);
    const f = doc.findings.find((x) => x.id === 'path-unknown');
    assert.equal(f?.node, 'node-a', how);
    assert.match(
      f!.summary,
      /whether 192\.168\.1\.11, where LAN host 192\.168\.1\.50 sends it, is an address on node-a: ip-addr/,
    );
  }
  // A host entry without state: node-a counts as not probed, and it is the Node whose InternalIP it is.
  const doc = externalIp(
    context('externalip-node-address', (s) => {
      s.hosts['node-a'] = { sections: {}, errors: {} } as Snapshot['hosts'][string];
    }),
  );
  assert.equal(doc.verdict, 'unknown');
  assert.ok(!doc.findings.some((f) => WALK_FAULTS.has(f.id)), doc.findings.map((f) => f.id).join());
});

const p2p = (ctx: AnalysisContext) =>
  podToPod(ctx, {
    source: 'default/client-0',
    destination: 'default/web-1',
    namespace: 'default',
    protocol: 'tcp',
    port: 8080,
  });

test('healthy, pod-to-pod: each section the path reads, taken away, makes it unknown naming it', () => {
  assert.equal(p2p(context('healthy')).verdict, 'reachable');
  for (const [edit, section] of [
    [drop('ip-addr', ['node-b']), 'ip-addr'],
    [drop('ip-route', ['node-a'], 'ip: exited 1'), 'ip-route'],
    [replace('ip-route', ['node-a'], '{}'), 'ip-route'],
    [drop('iptables-nft-save', ['node-b']), 'iptables-nft-save'],
    [drop('iptables-legacy-save', ['node-a'], 'iptables-legacy-save: not found'), 'iptables-legacy-save'],
    [drop('ip-neigh', ['node-a']), 'ip-neigh'],
    [drop('bridge-fdb', ['node-a']), 'bridge-fdb'],
    // Calico's rules match its sets (cali40masq-ipam-pools).
    [drop('ipset', ['node-a']), 'ipset'],
  ] as const) {
    const doc = p2p(context('healthy', edit));
    assert.equal(doc.verdict, 'unknown', section);
    assert.ok(
      missing(doc).some((m) => m.includes(`: ${section} `)),
      `${section}: ${missing(doc).join('\n')}`,
    );
    // No verdict of the walk derived from the emptiness (node checks are another matter).
    assert.deepEqual(
      doc.findings.filter((f) => WALK_FAULTS.has(f.id)).map((f) => f.summary),
      [],
      section,
    );
  }
});

test('healthy, pod-to-pod: sections the path does not read change nothing (ipvsadm, a node off the path)', () => {
  for (const edit of [
    drop('ipvsadm', ['node-a', 'node-b', 'node-c'], 'ipvsadm: not found'),
    drop('sysctl', ['node-c']),
    drop('iptables-nft-save', ['node-c']),
  ])
    assert.equal(p2p(context('healthy', edit)).verdict, 'reachable');
});
