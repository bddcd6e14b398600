// docs/findings.md, rendered from the catalog: `npm run docs:findings` writes it, and a unit test
// fails when the file and the catalog differ.
import { FINDINGS } from './catalog.ts';
import type { FindingDoc } from './catalog.ts';

const HEADER = `# Findings

Every finding netcheck reports has a stable ID. This page is generated from
\`src/checks/catalog.ts\` (\`npm run docs:findings\`); a test keeps the two equal.

A finding in the JSON or YAML output (\`-o json\`) has this shape:

\`\`\`jsonc
{
  "id": "rp-filter-drop",            // stable, kebab-case, one of the IDs below
  "severity": "error",               // critical | error | warning | info
  "node": "node-c",                  // the node whose state proves it (absent for a cluster object)
  "summary": "...",                  // one sentence with the concrete names and addresses
  "evidence": ["raw line", "..."],   // routes, rules, sysctls, iptables rules, object fields, verbatim
  "why": "...",                      // why it breaks (or threatens) the path
  "fix": "..."                       // the command or change that fixes it
}
\`\`\`

The whole report (\`kind: Report\`, \`apiVersion: netcheck.dev/v1\`) holds \`query\`, \`verdict\`
(\`reachable | unreachable | partial | unknown\` for a flow; \`healthy | problems | unknown\` for
\`doctor\` and the externalIP audit — \`unknown\` when nothing wrong was found but data was missing), \`cluster\` (CNI, encapsulation, kube-proxy mode, probed nodes), \`traces\`
(one per branch and direction: \`flow\`, \`direction\`, \`verdict\`, \`seenAs\`, \`hops\` of
\`node\`, \`device\`, \`step\`, \`detail\`, \`evidence\` — the raw lines joined by newlines — and, on
the hop that ended an undelivered trace, \`reason\` — why, typed: \`{"kind": "rp-filter", ...}\`),
\`findings\` sorted by severity, \`notes\`, and for \`doctor\` \`checks\`: each check's \`check\`,
\`scope\` (node | pair | cluster), \`status\` (\`ran\`; \`partial\` or \`not-enough-data\` when data it
needs was missing, named in \`reason\` and in a \`data-missing\` finding; \`skipped\` when it does not
apply, with the \`reason\`), the \`nodes\` it judged and how many \`findings\` it gave.

A finding never rests on data that was not collected: a section or object kind that is missing,
failed or unparseable is \`data-missing\`, and the checks that need it do not judge that node.

Exit status: 0 nothing wrong (info findings only; the verdict reads ✔), 1 problems found (a path that
does not work or is not shown to work, or a finding of severity warning or worse; the verdict reads
⚠, ◐, ✘ or ?), 2 bad usage or input, 3 could not talk to the cluster or collect.

| ID | Severity | Title |
|----|----------|-------|
`;

function section(id: string, d: FindingDoc): string {
  return [
    `## ${id}`,
    '',
    `**${d.title}** — default severity \`${d.severity}\`${d.incident !== undefined ? ` — [incident ${d.incident}](incidents.md)` : ''}`,
    '',
    `- Meaning: ${d.meaning}`,
    `- Detection: ${d.detection}`,
    `- Fix: ${d.fix}`,
    '',
  ].join('\n');
}

export function findingsMarkdown(): string {
  const entries = Object.entries(FINDINGS) as [string, FindingDoc][];
  const rows = entries.map(([id, d]) => `| [\`${id}\`](#${id}) | ${d.severity} | ${d.title} |`).join('\n');
  return `${HEADER}${rows}\n\n${entries.map(([id, d]) => section(id, d)).join('\n')}`;
}
