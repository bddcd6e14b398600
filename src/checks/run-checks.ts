// Runs declared checks (checks/check.ts): a check that does not apply is skipped with its reason;
// a check is run only on the nodes that have the data it needs, and every node or object kind it
// lacked is recorded as a gap — from which checks/coverage.ts writes data-missing findings.
import { usable, statusOf } from '../model/provenance.ts';
import type { SectionStatus } from '../model/provenance.ts';
import type { HostState } from '../model/types.ts';
import type { ObjectKind } from '../snapshot/types.ts';
import type { CheckContext, CheckScope, DoctorCheck } from './check.ts';
import type { AnalysisContext } from './context.ts';
import type { Finding } from './finding.ts';

/** One piece of data a check needed and could not trust: a node's section, or a kind of object. */
export type DataGap =
  | { kind: 'section'; node: string; section: string; status: SectionStatus; check: string }
  | { kind: 'objects'; objects: ObjectKind; status: SectionStatus; check: string };

/** ran: judged everything in scope; partial: some nodes lacked data; not-enough-data: judged nothing. */
export type CheckStatus = 'ran' | 'partial' | 'not-enough-data' | 'skipped';

export interface CheckOutcome {
  check: string;
  scope: CheckScope;
  status: CheckStatus;
  /** skipped: why the check does not apply; otherwise what it lacked, in words. */
  reason?: string;
  /** The nodes whose state it judged (node and pair scope). */
  nodes?: string[];
  findings: number;
}

export interface CheckRun {
  findings: Finding[];
  outcomes: CheckOutcome[];
  gaps: DataGap[];
}

/** Which nodes to judge: every probed node, or only those of a flow. */
export interface RunScope {
  nodes?: ReadonlySet<string>;
}

export interface RunHooks {
  /** Called after each check: where a caller may collect what the check left (lib/collect-garbage.ts). */
  afterCheck?: () => void;
}

export function runChecks(
  ctx: AnalysisContext,
  checks: readonly DoctorCheck[],
  scope: RunScope = {},
  hooks: RunHooks = {},
): CheckRun {
  const run: CheckRun = { findings: [], outcomes: [], gaps: [] };
  for (const c of checks) {
    const r = runOne(ctx, c, scope);
    // Not push(...list): a check over every pair of 1,000 nodes may give more findings than a
    // call takes arguments (RangeError: Maximum call stack size exceeded).
    for (const f of r.findings) run.findings.push(f);
    for (const g of r.gaps) run.gaps.push(g);
    run.outcomes.push(r.outcome);
    hooks.afterCheck?.();
  }
  return run;
}

function runOne(
  ctx: AnalysisContext,
  c: DoctorCheck,
  scope: RunScope,
): { findings: Finding[]; gaps: DataGap[]; outcome: CheckOutcome } {
  const base = { check: c.name, scope: c.scope };
  const skip = c.notApplicable?.(ctx);
  if (skip !== undefined)
    return { findings: [], gaps: [], outcome: { ...base, status: 'skipped', reason: skip, findings: 0 } };
  const needs = c.needs(ctx);
  const gaps: DataGap[] = [];
  for (const kind of needs.objects) {
    const status = ctx.model.objects.get(kind) ?? { state: 'absent' };
    if (!usable(status)) gaps.push({ kind: 'objects', objects: kind, status, check: c.name });
  }
  if (gaps.length > 0)
    return {
      findings: [],
      gaps,
      outcome: { ...base, status: 'not-enough-data', reason: describeGaps(gaps), findings: 0 },
    };

  const inScope = (n: string) => scope.nodes === undefined || scope.nodes.has(n);
  const usableOn = (node: string, sections: readonly string[], record: boolean): boolean => {
    const h = ctx.model.hosts.get(node);
    // An unprobed node is node-not-probed's to report, not a gap of this check.
    if (h === undefined) return false;
    let ok = true;
    for (const section of expand(h, sections)) {
      const status = statusOf(h.provenance, section);
      if (usable(status)) continue;
      ok = false;
      if (record && inScope(node)) gaps.push({ kind: 'section', node, section, status, check: c.name });
    }
    return ok;
  };
  // Answered once per node and sections: a pair check asks for each peer of every node (N² times),
  // and the gap it records is the same each time (dataMissingFindings keeps the first).
  const answers = new Map<string, Map<string, boolean>>();
  const has = (node: string, sections: readonly string[]): boolean => {
    const key = sections.join('\u0000');
    let byNode = answers.get(key);
    if (byNode === undefined) answers.set(key, (byNode = new Map()));
    let ok = byNode.get(node);
    if (ok === undefined) byNode.set(node, (ok = usableOn(node, sections, true)));
    return ok;
  };
  const peek = (node: string, sections: readonly string[]): boolean => usableOn(node, sections, false);
  const judged = new Map<string, HostState>();
  for (const h of ctx.model.hosts.values()) if (inScope(h.name) && has(h.name, needs.sections)) judged.set(h.name, h);

  let findings: Finding[];
  if (c.scope === 'node') {
    findings = [...judged.values()].flatMap((h) => c.node(ctx, h, ctx.world.hosts.get(h.name)!));
  } else {
    const cctx: CheckContext = { ...ctx, judged, has, peek };
    findings = c.run(cctx);
    if (scope.nodes !== undefined) findings = findings.filter((f) => f.node !== undefined && scope.nodes!.has(f.node));
  }
  const inScopeHosts = [...ctx.model.hosts.keys()].filter(inScope);
  const status: CheckStatus =
    gaps.length === 0 ? 'ran' : judged.size === 0 && inScopeHosts.length > 0 ? 'not-enough-data' : 'partial';
  const outcome: CheckOutcome = { ...base, status, findings: findings.length };
  if (c.scope !== 'cluster') outcome.nodes = [...judged.keys()];
  if (gaps.length > 0) outcome.reason = describeGaps(gaps);
  return { findings, gaps, outcome };
}

/**
 * A need ending in "/" is a probed directory: every file section of the node under it, and the
 * directory itself when its listing failed (collect/collect-host.ts records that error).
 */
function expand(h: HostState, sections: readonly string[]): string[] {
  return sections.flatMap((s) => {
    if (!s.endsWith('/')) return [s];
    return [...h.provenance.keys()].filter((k) => k.startsWith(s) || k === s.slice(0, -1));
  });
}

/** "node-c: sysctl (failed); nodes objects (absent)": what a check lacked, briefly. */
export function describeGaps(gaps: readonly DataGap[]): string {
  const parts = new Set(
    gaps.map((g) =>
      g.kind === 'section' ? `${g.node}: ${g.section} ${g.status.state}` : `${g.objects} objects ${g.status.state}`,
    ),
  );
  return `not enough data: ${[...parts].join('; ')}`;
}
