// The report formats: no colour codes unless on a terminal (NO_COLOR and --no-color win), JSON and
// YAML carry the documented schema, and the table says the same as the JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { analysisContext } from '../../../src/checks/context.ts';
import { lanQuery } from '../../../src/checks/queries/lan.ts';
import { buildModel } from '../../../src/model/model.ts';
import { renderReport } from '../../../src/report/render.ts';
import { readSnapshot } from '../../../src/snapshot/io.ts';

const ESC = '\u001b[';

async function doc() {
  const ctx = analysisContext(buildModel(await readSnapshot('examples/rp-filter-tunnel.json')));
  return lanQuery(ctx, {
    lanHost: '192.168.1.50',
    target: 'default/web-0',
    namespace: 'default',
    via: 'node-a',
    port: 8080,
    protocol: 'tcp',
  });
}

test('table: plain when piped, coloured on a terminal, plain again with NO_COLOR or --no-color', async () => {
  const d = await doc();
  assert.ok(!renderReport(d, 'table', { isTTY: false }, { colour: true, env: {} }).includes(ESC));
  assert.ok(renderReport(d, 'table', { isTTY: true }, { colour: true, env: {} }).includes(ESC));
  assert.ok(!renderReport(d, 'table', { isTTY: true }, { colour: true, env: { NO_COLOR: '1' } }).includes(ESC));
  assert.ok(!renderReport(d, 'table', { isTTY: true }, { colour: false, env: {} }).includes(ESC));
});

test('table: verdict line first, the deciding hop and the finding with evidence and fix', async () => {
  const t = renderReport(await doc(), 'table', { isTTY: false, columns: 120 }, { colour: false, env: {} });
  assert.match(t.split('\n')[0]!, /^◐ PARTIALLY REACHABLE/);
  assert.match(t, /reverse-path filter drops 192\.168\.1\.50 → 10\.65\.0\.130/);
  assert.match(t, /ERROR rp-filter-drop {2}node node-c/);
  assert.match(t, /net\.ipv4\.conf\.vxlan\/calico\.rp_filter = 1/);
  assert.match(t, /fix: sysctl -w net\.ipv4\.conf\.vxlan\/calico\.rp_filter=2 on node-c/);
});

test('json and yaml: the documented schema, the same document', async () => {
  const d = await doc();
  const j = JSON.parse(renderReport(d, 'json', {}, { colour: true, env: {} })) as Record<string, unknown>;
  assert.equal(j['apiVersion'], 'netcheck.dev/v1');
  assert.equal(j['kind'], 'Report');
  assert.deepEqual(Object.keys(j).sort(), [
    'apiVersion',
    'cluster',
    'findings',
    'kind',
    'notes',
    'query',
    'traces',
    'verdict',
  ]);
  const traces = j['traces'] as {
    direction: string;
    verdict: string;
    hops: { node: string; step: string; detail: string; evidence?: string }[];
  }[];
  assert.ok(
    traces.some((t) => t.direction === 'forward' && t.verdict === 'dropped' && t.hops.at(-1)!.step === 'rp-filter'),
  );
  for (const t of traces) for (const h of t.hops) assert.ok(h.evidence === undefined || typeof h.evidence === 'string');
  const findings = j['findings'] as { id: string; severity: string; node?: string; evidence: string[]; fix: string }[];
  assert.equal(findings[0]!.id, 'rp-filter-drop');
  assert.deepEqual(parseYaml(renderReport(d, 'yaml', {}, { colour: true, env: {} })), j);
});

test('html: one self-contained page, text escaped, the report inside as inert JSON that reads back whole', async () => {
  const d = await doc();
  const hostile = { ...d, notes: [...d.notes, 'a </script><script>alert(1)</script> & <b>'] };
  const html = renderReport(hostile, 'html', {}, { colour: true, env: {} });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script>|<link|<img|https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
  assert.ok(html.includes('a &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;'));
  const json = /<script type="application\/json" id="netcheck-report">(.*?)<\/script>/s.exec(html)?.[1];
  assert.deepEqual(JSON.parse(json!), hostile);
  // The drawing: the nodes crossed, the drop on node-c with the sysctl that decided it.
  assert.match(html, /<g class="node" data-node="node-a"/);
  assert.match(html, /<g class="node decisive" data-node="node-c"/);
  assert.match(html, /<g class="drop" data-node="node-c" data-step="rp-filter" data-reason="rp-filter">/);
  assert.match(html, /net\.ipv4\.conf\.vxlan\/calico\.rp_filter = 1/);
  assert.ok(ESC.length > 0 && !html.includes(ESC));
});

test("README: the main job's sample output is what the command prints at 100 columns", async () => {
  const readme = readFileSync('README.md', 'utf8');
  const sample = /\n```text\n(◐[\s\S]*?)\n…\n```/.exec(readme)?.[1];
  assert.ok(sample !== undefined, 'README has the sample');
  const out = renderReport(await doc(), 'table', { isTTY: false }, { colour: false, env: { COLUMNS: '100' } });
  assert.ok(out.startsWith(`${sample}\n`), 'README sample differs from the output: paste the new one');
});
