// -m rpfilter [--loose] [--validmark] [--accept-local] [--invert]
// (net/ipv4/netfilter/ipt_rpfilter.c rpfilter_mt): packets from loopback pass; a 0.0.0.0 source
// to a broadcast or local multicast destination passes (DHCP); otherwise a reverse route lookup
// decides, which the engine answers from the host's routes through env.rpfilterPasses.
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { badOption } from '../options.ts';

const FLAGS: ReadonlySet<string> = new Set(['loose', 'validmark', 'accept-local', 'invert']);

export function compileRpfilter(m: IptMatch): CompiledMatch[] {
  const out: CompiledMatch[] = [];
  const set = new Set<string>();
  for (const o of m.options) {
    if (FLAGS.has(o.name) && o.args.length === 0 && !o.negated) set.add(o.name);
    else out.push(badOption('rpfilter', o));
  }
  const invert = set.has('invert');
  const opts = { loose: set.has('loose'), validmark: set.has('validmark'), acceptLocal: set.has('accept-local') };
  out.push({
    kind: 'pred',
    pred: (c) => {
      if (c.inIface === 'lo') return !invert;
      const p = c.packet;
      // ipv4_is_lbcast(daddr) || ipv4_is_local_multicast(daddr) (224.0.0.0/24).
      if (p.src === 0 && (p.dst === 0xffffffff || (p.dst & 0xffffff00) >>> 0 === 0xe0000000)) return !invert;
      return c.env.rpfilterPasses(p, c.inIface === '' ? undefined : c.inIface, opts) !== invert;
    },
  });
  return out;
}
