// A finding is evidence, not an opinion: the node, the raw lines that prove it, why it breaks the
// path and the command that fixes it (docs/architecture.md "Checks and findings"; docs/findings.md).
import { FINDINGS } from './catalog.ts';
import type { FindingId } from './catalog.ts';

export type Severity = 'critical' | 'error' | 'warning' | 'info';

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

export interface Finding {
  /** Stable kebab-case identifier, documented in docs/findings.md. */
  id: FindingId;
  severity: Severity;
  /** The node whose state proves it (absent for a cluster-wide object such as a Service). */
  node?: string;
  /** One sentence: what is wrong, with the concrete names and addresses. */
  summary: string;
  /** Raw lines from the snapshot: a route, rule, sysctl, iptables rule, object field. */
  evidence: string[];
  /** Why it breaks (or threatens) the path. */
  why?: string;
  /** The command or change that fixes it. */
  fix: string;
}

/** What a check says about one finding; the catalog supplies the rest (severity, why, fix). */
export interface FindingParts {
  node?: string | undefined;
  summary: string;
  evidence: string[];
  /** A sharper sentence than the catalog's meaning. */
  why?: string;
  /** The concrete command; the catalog's general fix when there is none. */
  fix?: string;
  /** When the finding is worse or milder than its default (docs/findings.md says when). */
  severity?: Severity;
}

/** The one way to make a finding: the catalog entry of `id` fills what the check does not say. */
export function finding(id: FindingId, p: FindingParts): Finding {
  const doc = FINDINGS[id];
  return {
    id,
    severity: p.severity ?? doc.severity,
    ...(p.node !== undefined ? { node: p.node } : {}),
    summary: p.summary,
    evidence: p.evidence,
    why: p.why ?? doc.meaning,
    fix: p.fix ?? doc.fix,
  };
}

export function bySeverity(a: Finding, b: Finding): number {
  return (
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    (a.node ?? '').localeCompare(b.node ?? '') ||
    a.id.localeCompare(b.id) ||
    a.summary.localeCompare(b.summary)
  );
}

/** Same id, node and summary: one finding, found twice (by a flow trace and a node check). */
export function dedupeFindings(fs: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of fs) {
    const k = `${f.id}\u0000${f.node ?? ''}\u0000${f.summary}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out.sort(bySeverity);
}
