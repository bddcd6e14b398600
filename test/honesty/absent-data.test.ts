// Unknown beats wrong, as a property over every example: take one piece of data away (a host
// section deleted, failed or garbage; a host entry emptied or copied under another name; an
// object kind deleted, failed or garbage) and run doctor and the example's README command on it,
// in-process. The answer may lose what it can no longer see, but
//   1. no new critical or error finding appears (a fault derived from absence), and
//   2. a known fault never silently turns into HEALTHY / REACHABLE, and
//   3. whenever the answer changed, the report names what is missing (data-missing,
//      node-not-probed or host-not-in-cluster).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analysisContext } from '../../src/checks/context.ts';
import type { AnalysisContext } from '../../src/checks/context.ts';
import { doctor } from '../../src/checks/queries/doctor.ts';
import { externalIpQuery } from '../../src/checks/queries/externalip.ts';
import type { ReportDoc } from '../../src/checks/report-doc.ts';
import { buildModel } from '../../src/model/model.ts';
import { validateSnapshot } from '../../src/snapshot/validate.ts';
import { lanRun, podToPodRun } from '../helpers/queries.ts';
import { loadExample, mutationsOf } from './mutations.ts';
import type { RawSnapshot } from './mutations.ts';

interface Command {
  name: string;
  run: (ctx: AnalysisContext) => ReportDoc;
  /** A flow command: its verdict comes from the engine's traces. */
  flow: boolean;
}

const doc: Command = { name: 'doctor', run: (ctx) => doctor(ctx), flow: false };
const p2p = (source: string, destination: string, protocol: 'tcp' | 'udp', port: number): Command => ({
  name: `pod-to-pod ${source} ${destination}`,
  run: podToPodRun(source, destination, port, protocol),
  flow: true,
});
const lan = (lanHost: string, target: string, port: number, via?: string): Command => ({
  name: `lan ${lanHost} ${target}`,
  run: lanRun(lanHost, target, port, via),
  flow: true,
});

/** doctor, and the command README.md gives for each example. */
export const COMMANDS: Record<string, Command[]> = {
  healthy: [doc, p2p('default/client-0', 'default/web-1', 'tcp', 8080)],
  'rp-filter-tunnel': [doc, lan('192.168.1.50', 'default/web-0', 8080, 'node-a')],
  'tunnel-next-hop': [doc, p2p('default/web-0', 'default/client-0', 'tcp', 8080)],
  'tunnel-outer-source': [doc],
  'externalip-node-address': [
    doc,
    {
      name: 'externalip -A --from 192.168.1.50',
      run: (ctx) => externalIpQuery(ctx, { namespace: 'default', allNamespaces: true, from: '192.168.1.50' }),
      flow: true,
    },
  ],
  'pod-egress-masquerade': [doc, lan('192.168.1.50', 'default/orders-0', 3306)],
  'canal-subnet-mismatch': [doc, p2p('default/api-0', 'kube-system/coredns-5dd5756b68-7xq2k', 'udp', 53)],
};

const NAMING = new Set(['data-missing', 'node-not-probed', 'host-not-in-cluster']);
const FINE = new Set(['healthy', 'reachable']);

interface Answer {
  verdict: string;
  /** id@node of every finding of severity warning or worse. */
  problems: Set<string>;
  severe: Set<string>;
  /** id@node of the findings an engine trace gave. */
  fromTrace: Set<string>;
  names: boolean;
  /** path-unknown findings without evidence (findings.md: they quote the line that could not be decided). */
  unquoted: string[];
  error?: string;
}

function answer(snap: RawSnapshot, c: Command): Answer {
  let d: ReportDoc;
  try {
    d = c.run(analysisContext(buildModel(validateSnapshot(structuredClone(snap), 'mutated'))));
  } catch (e) {
    // Refusing to answer is honest when the refusal names what is missing (lookingUp in checks/resolve.ts).
    const names = /not in the snapshot|could not be (collected|parsed)|could not be read/.test(String(e));
    return {
      verdict: 'error',
      problems: new Set(),
      severe: new Set(),
      fromTrace: new Set(),
      names,
      unquoted: [],
      ...(names ? {} : { error: String(e) }),
    };
  }
  const key = (f: ReportDoc['findings'][number]) => `${f.id}@${f.node ?? ''}`;
  const problems = d.findings.filter((f) => f.severity !== 'info');
  return {
    verdict: d.verdict,
    problems: new Set(problems.filter((f) => !NAMING.has(f.id)).map(key)),
    severe: new Set(problems.filter((f) => f.severity === 'critical' || f.severity === 'error').map(key)),
    // A trace's finding begins with its flow's label (checks/flow/from-trace.ts).
    fromTrace: new Set(problems.filter((f) => d.traces.some((t) => f.summary.startsWith(t.flow))).map(key)),
    names: d.findings.some((f) => NAMING.has(f.id)),
    unquoted: d.findings.filter((f) => f.id === 'path-unknown' && f.evidence.length === 0).map((f) => f.summary),
  };
}

interface Violation {
  text: string;
  /** Caused by the engine's answer on missing data (a trace finding, a flow verdict): the engine-honest work. */
  engine: boolean;
}

/** What is wrong with `after` as the answer to `before` with one piece of data taken away. */
function violations(before: Answer, after: Answer, flow: boolean): Violation[] {
  const out: Violation[] = [];
  if (after.error !== undefined) return [{ text: `failed: ${after.error}`, engine: false }];
  for (const u of after.unquoted) out.push({ text: `path-unknown without evidence: ${u}`, engine: true });
  const invented = [...after.severe].filter((k) => !before.severe.has(k));
  const byEngine = invented.filter((k) => after.fromTrace.has(k));
  const byChecks = invented.filter((k) => !byEngine.includes(k));
  if (byChecks.length > 0) out.push({ text: `new critical/error finding(s): ${byChecks.join(', ')}`, engine: false });
  if (byEngine.length > 0)
    out.push({ text: `new critical/error trace finding(s): ${byEngine.join(', ')}`, engine: true });
  if (!FINE.has(before.verdict) && FINE.has(after.verdict))
    out.push({ text: `${before.verdict} became ${after.verdict}`, engine: flow });
  const lost = [...before.problems].filter((k) => !after.problems.has(k));
  const changed = lost.length > 0 || after.verdict !== before.verdict || after.problems.size !== before.problems.size;
  if (changed && !after.names)
    out.push({
      text: `the answer changed (${before.verdict} → ${after.verdict}${lost.length > 0 ? `, lost ${lost.join(', ')}` : ''}) but nothing names the missing data`,
      engine: false,
    });
  return out;
}

export interface Tally {
  cases: number;
  unchanged: number;
  named: number;
  violations: string[];
  /** Violations the engine's missing-data work (engine-honest) is to remove. */
  engine: string[];
}

export function runExample(example: string, c: Command): Tally {
  const snap = loadExample(example);
  const t0 = performance.now();
  const before = answer(snap, c);
  totals.floorMs += performance.now() - t0;
  assert.equal(before.error, undefined, `${example} ${c.name}: the unmutated example fails: ${before.error}`);
  const t: Tally = { cases: 0, unchanged: 0, named: 0, violations: [], engine: [] };
  const t1 = performance.now();
  for (const m of mutationsOf(snap)) {
    const s = structuredClone(snap);
    m.apply(s);
    const after = answer(s, c);
    t.cases++;
    if (after.names) t.named++;
    else if (after.verdict === before.verdict && after.problems.size === before.problems.size) t.unchanged++;
    for (const v of violations(before, after, c.flow))
      (v.engine ? t.engine : t.violations).push(`${m.name}: ${v.text}`);
  }
  totals.mutatedMs += performance.now() - t1;
  return t;
}

/** floorMs: each command once on its unmutated example, the least one pass over a case costs. */
const totals = { cases: 0, unchanged: 0, named: 0, engine: [] as string[], floorMs: 0, mutatedMs: 0 };

for (const [example, commands] of Object.entries(COMMANDS)) {
  for (const c of commands) {
    test(`${example}: ${c.name} — no fault from absent data, no silent flip`, () => {
      const t = runExample(example, c);
      totals.cases += t.cases;
      totals.unchanged += t.unchanged;
      totals.named += t.named;
      totals.engine.push(...t.engine.map((v) => `${example}: ${c.name}: ${v}`));
      assert.deepEqual(
        t.violations,
        [],
        `${t.violations.length} of ${t.cases} mutated inputs:\n${t.violations.join('\n')}`,
      );
    });
  }
}

// The engine's half: a trace never derives a fault from absent state (a trace finding such as
// no-route or reply-source-mismatch from a deleted section, a flow verdict flipped to reachable);
// it answers unknown there, naming what it lacks.
test('flow traces on missing data: no trace finding from absence, no verdict flip (engine)', () => {
  assert.deepEqual(totals.engine, [], `${totals.engine.length} engine violations:\n${totals.engine.join('\n')}`);
});

test('summary', () => {
  process.stdout.write(
    `# honesty: ${totals.cases} mutated inputs; ${totals.named} named the missing data, ${totals.unchanged} answered as before, ${totals.engine.length} engine violations; ${Math.round(totals.mutatedMs)} ms for the mutated inputs, floor ${Math.round(totals.floorMs)} ms for one unmutated pass of each command\n`,
  );
});
