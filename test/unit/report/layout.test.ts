// The defects of issue #16 in the terminal report, each on the example that showed it: the path
// drowned in accepted hooks, fixed widths that split device names and addresses, COLUMNS ignored
// when piped, nested parentheses from composed phrases, and verdict marks that did not say the
// exit status.
import { text } from '../../../src/model/render/said.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportDoc } from '../../../src/report/document.ts';
import { layoutWidth, renderReport } from '../../../src/report/render.ts';
import { unnest } from '../../../src/report/segments.ts';
import { textWidth, wrap } from '../../../src/report/text-layout.ts';
import { verdictMark } from '../../../src/report/verdict.ts';
import { externalIpAudit, healthyPodToPod, rpFilterLan, unknownPodToPod } from './docs.ts';

const plain = { colour: false, env: {} };

function table(doc: ReportDoc, columns: number, format: 'table' | 'wide' = 'table'): string {
  return renderReport(doc, format, { isTTY: false, columns }, plain);
}

/** The rows of the first trace's table: lines that start with a row number. */
function firstTraceRows(out: string): string[] {
  const block = out.split('\n\n')[1]!.split('\n');
  return block.filter((l) => /^\d+ +\S/.test(l));
}

test('compact: the LAN → pod trace of the rp_filter example is one row per node, the drop with its sysctl', async () => {
  const doc = await rpFilterLan();
  const forward = doc.traces[0]!;
  assert.equal(forward.hops.length, 18);
  const rows = firstTraceRows(table(doc, 100));
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.match(rows[0]!, /^1 +node-a +eth0 → vxlan\.calico +via 10\.65\.0\.128; VXLAN vni 4096/);
  assert.match(rows[1]!, /^2 +node-c +vxlan\.calico ✘ +rp-filter: reverse-path filter drops/);
  assert.match(table(doc, 100), /│ net\.ipv4\.conf\.vxlan\/calico\.rp_filter = 1\n/);
  // -o wide keeps every hop.
  assert.equal(firstTraceRows(table(doc, 100, 'wide')).length, 18);
});

/** Every whitespace-separated token of every string in the document, with and without punctuation. */
function docTokens(doc: ReportDoc): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string')
      for (const t of v.split(/\s+/)) {
        out.add(t);
        out.add(t.replace(/^[("[]+|[)\]",;:.]+$/g, ''));
      }
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
  };
  walk(doc);
  return out;
}

/** Places where a line break cut a token of the document in two. */
function splitTokens(out: string, tokens: Set<string>): string[] {
  const lines = out.split('\n').map((l) => l.replace(/^[\s│]+/, '').trimEnd());
  const cuts: string[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const last = lines[i]!.split(' ').at(-1) ?? '';
    const first = lines[i + 1]!.split(' ')[0] ?? '';
    const joined = `${last}${first}`.replace(/[,;:.]+$/, '');
    if (last !== '' && first !== '' && tokens.has(joined) && !tokens.has(last.replace(/[,;:.]+$/, '')))
      cuts.push(`${last}|${first}`);
  }
  return cuts;
}

test('widths: at 60, 100 and 200 columns no line is wider, and no device name, address or word is split', async () => {
  for (const doc of [await rpFilterLan(), await healthyPodToPod(), await externalIpAudit()]) {
    const tokens = docTokens(doc);
    for (const w of [60, 100, 200]) {
      const compact = table(doc, w);
      for (const l of compact.split('\n')) assert.ok(textWidth(l) <= w, `${w} columns: ${textWidth(l)}: ${l}`);
      for (const format of ['table', 'wide'] as const)
        assert.deepEqual(splitTokens(table(doc, w, format), tokens), [], `${format} at ${w}`);
      for (const dev of new Set(doc.traces.flatMap((t) => t.hops.map((h) => h.device ?? ''))))
        if (dev !== '') assert.ok(compact.includes(dev), `${dev} whole at ${w}`);
    }
  }
  // The check catches what the fixed-width table printed (issue #16: `vx|lan.calico`, `10.6|5.0.2`).
  const tokens = docTokens(await rpFilterLan());
  assert.deepEqual(splitTokens('drops 192.168.1.50 → 10.6\n5.0.130 arriving on vx\nlan.calico', tokens), [
    '10.6|5.0.130',
    'vx|lan.calico',
  ]);
});

test('widths: a token longer than the line is cut with … in the compact view and kept whole in -o wide', () => {
  const long = 'x'.repeat(30);
  assert.deepEqual(wrap(`a ${long} b`, 10, { longTokens: 'truncate' }), ['a', `${'x'.repeat(9)}…`, 'b']);
  assert.deepEqual(wrap(`a ${long} b`, 10, { longTokens: 'overflow' }), ['a', long, 'b']);
});

test('widths: the terminal width on a terminal, COLUMNS when piped, 100 without either, never under 40', () => {
  assert.equal(layoutWidth({ isTTY: true, columns: 132 }, { COLUMNS: '60' }), 132);
  assert.equal(layoutWidth({ isTTY: false }, { COLUMNS: '60' }), 60);
  assert.equal(layoutWidth({ isTTY: false }, {}), 100);
  assert.equal(layoutWidth({ isTTY: false }, { COLUMNS: '20' }), 40);
  assert.equal(layoutWidth({ isTTY: false }, { COLUMNS: 'wide' }), 100);
});

test('COLUMNS=60 piped: the table and the cluster line fit in 60 columns (they were 81 and 138 wide)', async () => {
  const out = renderReport(await rpFilterLan(), 'table', { isTTY: false }, { colour: false, env: { COLUMNS: '60' } });
  assert.ok(Math.max(...out.split('\n').map(textWidth)) <= 60);
  assert.match(out, /^cluster lab-rp-filter-tunnel\n/m);
});

test('nested text from composed phrases: a repeated parenthesis is dropped, a nested one flattened', () => {
  assert.equal(
    unnest('delivered to LAN host 192.168.1.50 (LAN host 192.168.1.50 (192.168.1.50) is on the link behind eth0)'),
    'delivered to LAN host 192.168.1.50',
  );
  assert.equal(
    unnest('delivered to pod default/web-0 (pod default/web-0 (10.65.0.130) is behind cali0d7763386da)'),
    'delivered to pod default/web-0',
  );
  assert.equal(
    unnest('MASQUERADE to 192.168.1.13 (source port chosen at random (--random-fully))'),
    'MASQUERADE to 192.168.1.13 (source port chosen at random, --random-fully)',
  );
  assert.equal(
    unnest('martian source 192.168.1.11 (an address of this host)'),
    'martian source 192.168.1.11 (an address of this host)',
  );
});

test('the compact view prints the delivery without the nested repeat', async () => {
  const out = table(await rpFilterLan(), 200);
  assert.match(out, /delivered to LAN host 192\.168\.1\.50\n/);
  assert.doesNotMatch(out, /\(LAN host 192\.168\.1\.50 \(/);
  assert.doesNotMatch(out, /random \(--random-fully\)\)/);
});

test('the engine writes no nested or repeated clause: every hop detail of every example trace, as the engine gives it', async () => {
  for (const d of [await rpFilterLan(), await healthyPodToPod()])
    for (const t of d.traces)
      for (const h of t.hops) {
        const detail = text(h.detail);
        assert.doesNotMatch(detail, /\([^()]*\(/, detail);
        assert.equal(unnest(detail), detail, 'the report had to unnest it');
      }
});

function withVerdict(
  doc: ReportDoc,
  verdict: ReportDoc['verdict'],
  severities: ReportDoc['findings'][number]['severity'][],
): ReportDoc {
  const f = doc.findings[0]!;
  return { ...doc, verdict, findings: severities.map((severity) => ({ ...f, severity })) };
}

test('verdicts: a distinct mark for each, a ✔ always exits 0, info findings never turn it into 1', async () => {
  const d = await healthyPodToPod();
  const base = { ...d, findings: (await rpFilterLan()).findings };
  const cases: [ReportDoc['verdict'], ReportDoc['findings'][number]['severity'][], string, 0 | 1][] = [
    ['reachable', [], '✔ REACHABLE', 0],
    ['reachable', ['info'], '✔ REACHABLE', 0],
    ['reachable', ['warning', 'info'], '⚠ REACHABLE, WITH 1 PROBLEM', 1],
    ['partial', [], '◐ PARTIALLY REACHABLE', 1],
    ['unreachable', ['error'], '✘ UNREACHABLE', 1],
    ['unknown', [], '? UNKNOWN', 1],
    ['unknown', ['error', 'warning'], '? UNKNOWN, WITH 2 PROBLEMS', 1],
    ['healthy', ['info'], '✔ HEALTHY', 0],
    ['problems', ['warning'], '✘ PROBLEMS FOUND', 1],
  ];
  for (const [verdict, severities, line, exit] of cases) {
    const doc = withVerdict(base, verdict, severities);
    const v = verdictMark(doc);
    assert.equal(`${v.mark} ${v.words}`, line);
    assert.equal(v.exit, exit, line);
    assert.ok(table(doc, 100).startsWith(`${line}  `), line);
    if (v.mark === '✔') assert.equal(v.exit, 0);
  }
  const marks = (['reachable', 'unreachable', 'partial', 'unknown'] as const).map(
    (v) => verdictMark(withVerdict(base, v, [])).mark,
  );
  assert.equal(new Set(marks).size, 4, marks.join(' '));
});

test('--all-branches: one delivered branch per flow and direction by default, every branch with it', async () => {
  const d = await healthyPodToPod();
  const t = d.traces[0]!;
  const doc: ReportDoc = { ...d, traces: [t, { ...t, branch: ['multipath next hop 2/2'] }, ...d.traces.slice(1)] };
  const folded = renderReport(doc, 'table', { columns: 100 }, plain);
  assert.equal(folded.match(/ · forward: /g)?.length, 1);
  assert.match(folded, /1 more delivered branch\(es\) like the ones above: --all-branches shows them/);
  const all = renderReport(doc, 'table', { columns: 100 }, { ...plain, allBranches: true });
  assert.equal(all.match(/ · forward: /g)?.length, 2);
  assert.match(all, /branch: multipath next hop 2\/2/);
});

test('unknown is not a drop: the walk that stopped at an unprobed router is marked ?, not ✘, in every view', async () => {
  const doc = await unknownPodToPod();
  assert.equal(doc.traces[0]!.verdict, 'unknown');
  const rows = firstTraceRows(table(doc, 100));
  assert.match(rows.at(-1)!, /^\d+ +node-a +cali56a6d256ab4 → vxlan\.calico \? +via 10\.65\.0\.64; VXLAN vni 4096/);
  assert.doesNotMatch(rows.join('\n'), /✘/);
  assert.match(
    table(doc, 200),
    /out eth0; not-probed: leaves eth0 toward 192\.168\.1\.1, which netcheck did not probe\n/,
  );
  const html = renderReport(doc, 'html', {}, plain);
  assert.match(html, /<g class="stop" data-node="node-a" data-step="transmit" data-reason="not-probed">/);
  assert.doesNotMatch(html, /class="drop"|dropped here/);
});

test('the decisive hop is named by its typed reason: a martian source is not labelled rp-filter', async () => {
  const doc = await externalIpAudit();
  const hop = doc.traces[0]!.hops.at(-1)!;
  assert.equal(hop.step, 'rp-filter');
  assert.deepEqual(hop.reason, { kind: 'martian-source' });
  const out = table(doc, 200);
  assert.match(out, /^2 +node-b +eth0 ✘ +martian-source: martian source 192\.168\.1\.11/m);
  assert.doesNotMatch(out, /rp-filter: martian/);
  assert.match(renderReport(doc, 'html', {}, plain), /data-step="rp-filter" data-reason="martian-source"/);
});
