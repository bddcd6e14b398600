// -m multiport --dports/--sports/--ports LIST (net/netfilter/xt_multiport.c ports_match_v1):
// up to 15 ports or A:B ranges; "!" inverts the whole list; --ports tests source or destination.
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch, MatchCtx } from '../compiled.ts';
import { arg, badOption, commaList, parsePortRange } from '../options.ts';

export function compileMultiport(m: IptMatch): CompiledMatch[] {
  const out: CompiledMatch[] = [{ kind: 'pred', pred: (c) => c.packet.proto === 'tcp' || c.packet.proto === 'udp' }];
  for (const o of m.options) {
    const which =
      o.name === 'dports' || o.name === 'destination-ports'
        ? 'dst'
        : o.name === 'sports' || o.name === 'source-ports'
          ? 'src'
          : o.name === 'ports'
            ? 'both'
            : undefined;
    const ranges = commaList(arg(o)).map(parsePortRange);
    if (which === undefined || ranges.length === 0 || ranges.some((r) => r === undefined)) {
      out.push(badOption('multiport', o));
      continue;
    }
    const rs = ranges as [number, number][];
    const inList = (p: number): boolean => rs.some(([lo, hi]) => p >= lo && p <= hi);
    const neg = o.negated;
    const test =
      which === 'dst'
        ? (c: MatchCtx): boolean => inList(c.packet.dport)
        : which === 'src'
          ? (c: MatchCtx): boolean => inList(c.packet.sport)
          : (c: MatchCtx): boolean => inList(c.packet.sport) || inList(c.packet.dport);
    out.push({ kind: 'pred', pred: (c) => test(c) !== neg });
  }
  return out;
}
