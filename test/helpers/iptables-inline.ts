// Rulesets written inline in a test, the way kube-proxy's own tests do (helpers_test.go,
// dedent.Dedent): the iptables-save text sits next to the packets it is tested with, so a new
// match is tested without capturing a fixture as root. Captured dumps of real nodes stay in
// test/fixtures for the parser and the whole-node tests.
import assert from 'node:assert/strict';
import { parseIptablesSave } from '../../src/model/parse/iptables-save.ts';
import type { IptablesBackend, IptRule, IptRuleset, IptTable } from '../../src/model/types.ts';

/** Removes the indentation common to every non-blank line, and the blank first and last lines. */
export function dedent(text: string): string {
  const lines = text
    .replace(/^[ \t]*\n/, '')
    .replace(/\n[ \t]*$/, '')
    .split('\n');
  let common = Infinity;
  for (const l of lines) if (l.trim() !== '') common = Math.min(common, /^[ \t]*/.exec(l)![0].length);
  return `${lines.map((l) => l.slice(Number.isFinite(common) ? common : 0)).join('\n')}\n`;
}

/**
 * An iptables-save dump written in the test (dedented), parsed as the probe's output would be.
 * Any parser warning fails the test: the text must be what iptables-save really prints.
 */
export function iptablesSave(text: string, backend: IptablesBackend = 'nft'): IptRuleset {
  const parsed = parseIptablesSave(dedent(text), backend);
  assert.deepEqual(parsed.warnings, [], 'parser warnings for the inline ruleset');
  return parsed.value;
}

const BUILTIN: Readonly<Record<string, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * One rule line as iptables-save prints it ("-A CHAIN ..."), in a table of its own: the table's
 * built-in chains, and the rule's chain when it is a user chain. For tests of a single match or target.
 */
export function oneRule(line: string, table = 'filter'): { rule: IptRule; table: IptTable } {
  const chain = /^-A (\S+)/.exec(line)?.[1];
  assert.ok(chain !== undefined, `not a rule line: ${line}`);
  const builtin = BUILTIN[table] ?? [];
  const headers = [
    ...builtin.map((c) => `:${c} ACCEPT [0:0]`),
    ...(builtin.includes(chain) ? [] : [`:${chain} - [0:0]`]),
  ];
  const t = iptablesSave([`*${table}`, ...headers, line, 'COMMIT'].join('\n')).tables.get(table)!;
  return { rule: t.chains.get(chain)!.rules[0]!, table: t };
}
