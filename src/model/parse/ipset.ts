// Parser for `ipset save` output (ipset(8) "save" / "restore" format):
//   create NAME TYPE [create options...]
//   add NAME MEMBER [add options...]
// Members are one word (e.g. "10.96.0.1,tcp:443", "10.0.0.0/8", "30000"); the options after them
// are keywords with or without a value ("timeout 600", "nomatch", "comment \"x y\"", "packets 3
// bytes 180", "skbmark 0x1"). ipset prints a comment in double quotes with no escapes
// (lib/print.c ipset_print_comment(): `"%s"`; the kernel refuses a comment containing `"`).

import type { IpSet, IpSetEntry, Parsed } from '../types.ts';
import { forEachLine } from './lines.ts';
import { excerpt, Warnings } from './warnings.ts';

/** Splits on spaces/tabs; a double-quoted part is one word, its quotes removed. */
function words(line: string): { words: string[]; balanced: boolean } {
  const out: string[] = [];
  let i = 0;
  const len = line.length;
  while (i < len) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      const close = line.indexOf('"', i + 1);
      if (close === -1) {
        out.push(line.slice(i + 1));
        return { words: out, balanced: false };
      }
      out.push(line.slice(i + 1, close));
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < len && line[j] !== ' ' && line[j] !== '\t') j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return { words: out, balanced: true };
}

/** Parses `ipset save`. Never throws; unreadable lines become warnings. */
export function parseIpsetSave(text: string): Parsed<IpSet[]> {
  const warnings = new Warnings();
  const sets: IpSet[] = [];
  const byName = new Map<string, IpSet>();
  forEachLine(text, (line, lineNo) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;

    const { words: w, balanced } = words(trimmed);
    if (!balanced) warnings.atLine(lineNo, `unbalanced quote in ${excerpt(line)}`);
    const cmd = w[0];
    const name = w[1];
    if ((cmd === 'create' || cmd === '-N' || cmd === 'add' || cmd === '-A') && name === undefined) {
      warnings.atLine(lineNo, `"${cmd}" without a set name`);
      return;
    }
    if (cmd === 'create' || cmd === '-N') {
      const type = w[2];
      if (name === undefined || type === undefined) {
        warnings.atLine(lineNo, `"create" without a type: ${excerpt(line)}`);
        return;
      }
      if (byName.has(name)) {
        // ipset restore refuses to create an existing set; keep the first definition.
        warnings.atLine(lineNo, `set ${excerpt(name)} created twice; the first definition is kept`);
        return;
      }
      const set: IpSet = { name, type, options: w.slice(3), members: [], entries: [], raw: line };
      sets.push(set);
      byName.set(name, set);
      return;
    }
    if (cmd === 'add' || cmd === '-A') {
      const member = w[2];
      const set = name === undefined ? undefined : byName.get(name);
      if (set === undefined) {
        warnings.atLine(lineNo, `"add" to set ${excerpt(name ?? '')} that was not created before`);
        return;
      }
      if (member === undefined) {
        warnings.atLine(lineNo, `"add" without a member: ${excerpt(line)}`);
        return;
      }
      const options = w.slice(3);
      const entry: IpSetEntry = { member, options, nomatch: options.includes('nomatch'), raw: line, line: lineNo };
      set.members.push(member);
      (set.entries ??= []).push(entry);
      return;
    }
    warnings.atLine(lineNo, `not an ipset save line: ${excerpt(line)}`);
  });
  return { value: sets, warnings: warnings.done() };
}
