// The cluster's unique content (issue #15's yardstick for what a collection may move), by a
// measure independent of v2's cutting: each distinct section once, and for iptables-save text each
// distinct chain (header and rules, counters lifted) once plus every host's own counters.
import { createHash } from 'node:crypto';
import { cut, isPieced } from '../../src/snapshot/v2/pieces.ts';

/** Whether `c` is what RegExp \s matches (ECMA-262 WhiteSpace and LineTerminator). */
const isSpace = (c: number): boolean =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000 ||
  c === 0xfeff;

/** The chain of line [start, end) of holed iptables-save text: a header's, a rule's (/^\[\] -A (\S+)/), else "". */
function chainOf(text: string, start: number, end: number): string {
  if (text.charCodeAt(start) === 58) {
    const sp = text.indexOf(' ', start + 1);
    return text.slice(start + 1, sp === -1 || sp > end ? end : sp);
  }
  if (!text.startsWith('[] -A ', start) || start + 6 > end) return '';
  let e = start + 6;
  while (e < end && !isSpace(text.charCodeAt(e))) e++;
  return text.slice(start + 6, e);
}

/** Whether rule line [start, end) is "[] -A <chain>" followed by whitespace or its end: chainOf would say `chain`. */
function sameChain(text: string, start: number, end: number, chain: string): boolean {
  const after = start + 6 + chain.length;
  return (
    chain !== '' &&
    after <= end &&
    text.startsWith('[] -A ', start) &&
    text.startsWith(chain, start + 6) &&
    (after === end || isSpace(text.charCodeAt(after)))
  );
}

export class UniqueContent {
  /** SHA-256 of every text counted. */
  private readonly seen = new Set<string>();
  /**
   * Every chain text met, as a copy: most of a host's 40k chains are the previous hosts' (asking
   * this Set costs a pass over the text; a SHA-256 object a chain cost more than the rest).
   */
  private readonly chains = new Set<string>();
  bytes = 0;
  private add(text: string): void {
    const h = createHash('sha256').update(text).digest('base64');
    if (this.seen.has(h)) return;
    this.seen.add(h);
    this.bytes += Buffer.byteLength(text);
  }
  private addChain(text: string): void {
    if (this.chains.has(text)) return;
    // Not a slice of the host's text, which would keep all of it alive.
    this.chains.add(Buffer.from(text, 'utf16le').toString('utf16le'));
    this.add(text);
  }
  host(sections: Record<string, string>): void {
    for (const [name, text] of Object.entries(sections)) {
      const p = isPieced(name) ? cut(text) : undefined;
      if (p === undefined) {
        this.add(text);
        continue;
      }
      this.bytes += p.counters.length;
      const holed = p.pieces.join('');
      // A chain's lines joined by "\n", as [start, end) ranges of `holed`: a chain's rules follow
      // one another, so most chains are one or two ranges (no string a line: 150k lines a host).
      const chains = new Map<string, number[]>();
      let prev = '';
      let run: number[] | undefined;
      for (let line = 0; ; ) {
        const nl = holed.indexOf('\n', line);
        const end = nl === -1 ? holed.length : nl;
        // The previous line's chain again (a chain's rules follow one another): its range grows.
        if (run !== undefined && sameChain(holed, line, end, prev)) run[run.length - 1] = end;
        else {
          prev = chainOf(holed, line, end);
          run = chains.get(prev);
          if (run === undefined) chains.set(prev, (run = [line, end]));
          else if (run[run.length - 1] === line - 1) run[run.length - 1] = end;
          else run.push(line, end);
        }
        if (nl === -1) break;
        line = nl + 1;
      }
      for (const r of chains.values()) {
        const parts: string[] = [];
        for (let k = 0; k < r.length; k += 2) parts.push(holed.slice(r[k]!, r[k + 1]!));
        this.addChain(parts.length === 1 ? parts[0]! : parts.join('\n'));
      }
    }
  }
}
