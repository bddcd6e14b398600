// -m mark --mark V[/M] (net/netfilter/xt_mark.c mark_mt: (skb->mark & mask) == mark, "!" inverts)
// and -m connmark --mark V[/M] (xt_connmark.c connmark_mt: the same on ct->mark; no conntrack
// entry (untracked, invalid) never matches, whatever the "!").
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { arg, badOption, parseValueMask } from '../options.ts';

export function compileMark(m: IptMatch): CompiledMatch[] {
  const conn = m.module === 'connmark';
  return m.options.map((o): CompiledMatch => {
    const vm = o.name === 'mark' ? parseValueMask(arg(o)) : undefined;
    if (vm === undefined) return badOption(m.module ?? 'mark', o);
    const { mask } = vm;
    const value = (vm.value & mask) >>> 0;
    const neg = o.negated;
    if (!conn) return { kind: 'pred', pred: (c) => ((c.packet.mark & mask) >>> 0 === value) !== neg };
    return {
      kind: 'pred',
      pred: (c) =>
        c.ct.state !== 'UNTRACKED' && c.ct.state !== 'INVALID' && ((c.packet.connmark & mask) >>> 0 === value) !== neg,
    };
  });
}
