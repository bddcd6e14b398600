// -m addrtype --src-type/--dst-type LIST [--limit-iface-in|--limit-iface-out]
// (net/netfilter/xt_addrtype.c addrtype_mt_v1): each given side must have one of the listed
// types ("!" per side inverts that side); with --limit-iface-* the type is looked up for the
// input or output device only. The host's routing tables answer through env.addrType.
import type { IptMatch } from '../../../model/types.ts';
import type { AddrType } from '../types.ts';
import type { CompiledMatch, MatchCtx } from '../compiled.ts';
import { arg, badOption, commaList } from '../options.ts';

const ADDR_TYPES: ReadonlySet<string> = new Set<AddrType>([
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
]);

export function compileAddrtype(m: IptMatch): CompiledMatch[] {
  let limit: 'in' | 'out' | undefined;
  const sides: { side: 'src' | 'dst'; types: ReadonlySet<string>; neg: boolean }[] = [];
  const out: CompiledMatch[] = [];
  for (const o of m.options) {
    if ((o.name === 'limit-iface-in' || o.name === 'limit-iface-out') && o.args.length === 0 && !o.negated) {
      limit = o.name === 'limit-iface-in' ? 'in' : 'out';
      continue;
    }
    const types = commaList(arg(o)).map((t) => t.toUpperCase());
    if (
      (o.name !== 'src-type' && o.name !== 'dst-type') ||
      types.length === 0 ||
      types.some((t) => !ADDR_TYPES.has(t))
    ) {
      out.push(badOption('addrtype', o));
      continue;
    }
    sides.push({ side: o.name === 'src-type' ? 'src' : 'dst', types: new Set(types), neg: o.negated });
  }
  for (const { side, types, neg } of sides) {
    const dev = (c: MatchCtx): string | undefined =>
      limit === 'in' ? c.inIface || undefined : limit === 'out' ? c.outIface || undefined : undefined;
    out.push({
      kind: 'pred',
      pred: (c) => types.has(c.env.addrType(side === 'src' ? c.packet.src : c.packet.dst, dev(c))) !== neg,
    });
  }
  return out;
}
