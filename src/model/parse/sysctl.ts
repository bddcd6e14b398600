// Parses `sysctl -a` output (section "sysctl"): one `key = value` line per setting (procps
// sysctl.c prints "%s = %s\n"). Keys are kept exactly as printed: sysctl writes a dot inside a
// device name as '/', so flannel.1's rp_filter is "net.ipv4.conf.flannel/1.rp_filter" — the
// same spelling `sysctl -w` takes. Values keep inner tabs ("32768\t60999").
import type { Parsed, Sysctls } from '../types.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'sysctl';
// Device names may hold almost any character but whitespace, so the key only excludes that.
const KEY = /^[^\s=]{1,512}$/;

export function parseSysctl(text: string): Parsed<Sysctls> {
  const w = new Warnings();
  const out: Sysctls = new Map();
  const lines = text.split('\n');
  lines.forEach((rawLine, i) => {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line.trim() === '') return;
    // indexOf, not a regex: a 10 MB line without '=' must stay linear.
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (eq < 0 || !KEY.test(key)) {
      w.add(`${SECTION} line ${i + 1}: not a "key = value" line: ${quote(line)}`);
      return;
    }
    if (out.has(key)) w.add(`${SECTION} line ${i + 1}: ${key} appears twice; the last value wins`);
    out.set(key, line.slice(eq + 1).trim());
  });
  // sysctl ends every line with \n: a last line without one was cut short, maybe mid-value.
  const last = lines[lines.length - 1] ?? '';
  if (last.trim() !== '')
    w.add(`${SECTION}: the last line has no line end; its value may be cut short: ${quote(last)}`);
  return { value: out, warnings: w.done() };
}
