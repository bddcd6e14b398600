// Where each piece of a host's state came from: collected, collected but partly unreadable,
// recorded as failed by the probe, or not in the snapshot at all. An empty list parsed from a
// collected section means "none"; an empty list from a section that is failed, absent or
// unparseable means "not seen" — and only the first may ever decide a verdict or a finding.
import { PROBE_COMMANDS } from '../snapshot/sections.ts';

/** What is known about one snapshot section of one host. */
export type SectionStatus =
  /** Read and parsed without complaint. */
  | { state: 'collected' }
  /** Parsed, but some lines were not understood (the rest is usable). */
  | { state: 'partial'; warnings: readonly string[] }
  /** Present, but the parser could read nothing from it (not the tool's output, truncated, ...). */
  | { state: 'unparseable'; warnings: readonly string[] }
  /** The probe recorded an error instead of output (tool missing, permission, timeout). */
  | { state: 'failed'; reason: string }
  /** Neither output nor error: the snapshot does not carry it. */
  | { state: 'absent' };

/** Per-section status of one host, keyed by section name (docs/snapshot.md). */
export type Provenance = ReadonlyMap<string, SectionStatus>;

/** True when the section's content may be trusted as the host's state (possibly minus a few lines). */
export function usable(s: SectionStatus): boolean {
  return s.state === 'collected' || s.state === 'partial';
}

/** The status of `section`, `absent` when the provenance does not mention it. */
export function statusOf(p: Provenance, section: string): SectionStatus {
  return p.get(section) ?? { state: 'absent' };
}

/** The sections among `sections` that cannot be trusted, with their status. */
export function unusableSections(
  p: Provenance,
  sections: readonly string[],
): { section: string; status: SectionStatus }[] {
  return sections.map((section) => ({ section, status: statusOf(p, section) })).filter((x) => !usable(x.status));
}

/** One phrase for a section that cannot be trusted: "sysctl was not collected (sysctl: not found)". */
export function describeStatus(section: string, s: SectionStatus): string {
  switch (s.state) {
    case 'collected':
      return `${section} was collected`;
    case 'partial':
      return `${section} was collected but ${s.warnings.length} part(s) could not be parsed (${s.warnings[0]})`;
    case 'unparseable':
      return `${section} could not be parsed${s.warnings[0] === undefined ? '' : ` (${s.warnings[0]})`}`;
    case 'failed':
      return `${section} could not be collected (${s.reason})`;
    case 'absent':
      return `${section} is not in the snapshot`;
  }
}

/** How to obtain a section: the probe command behind it, for the "how to get it" half of a finding. */
export function howToCollect(section: string): string {
  const cmd = PROBE_COMMANDS.find((c) => c.section === section);
  if (cmd !== undefined) return `the output of \`${cmd.argv.join(' ')}\` on the node`;
  if (section.startsWith('file:')) return `the file ${section.slice('file:'.length)} on the node`;
  return `section ${section}`;
}

/** Whether a parsed value holds nothing: an empty list, map or object of lists. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map || v instanceof Set) return v.size === 0;
  // An object of lists (links and addresses; an iptables ruleset's tables): empty when every list is.
  if (typeof v === 'object') {
    const lists = Object.values(v).filter((x) => Array.isArray(x) || x instanceof Map || x instanceof Set);
    return lists.length > 0 && lists.every(isEmptyValue);
  }
  return false;
}

/** The status of a section that was present and parsed. */
export function parsedStatus(text: string, value: unknown, warnings: readonly string[]): SectionStatus {
  if (warnings.length === 0) return { state: 'collected' };
  if (text.trim() !== '' && isEmptyValue(value)) return { state: 'unparseable', warnings };
  return { state: 'partial', warnings };
}

/** Every probe section collected: for hosts built by hand (unit tests, synthetic benchmarks). */
export function fullyCollected(): Provenance {
  return new Map(PROBE_COMMANDS.map((c) => [c.section, { state: 'collected' } as const]));
}
