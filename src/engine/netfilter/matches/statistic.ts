// -m statistic (net/netfilter/xt_statistic.c statistic_mt): random mode matches when
// (get_random_u32() & 0x7FFFFFFF) < probability * 2^31 (libxt_statistic.c rounds p * 0x80000000);
// nth mode matches every n-th packet of the rule's own counter. Neither depends on the packet,
// so the walk explores both outcomes and labels them.
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { arg, badOption } from '../options.ts';

export function compileStatistic(m: IptMatch): CompiledMatch[] {
  let mode: string | undefined;
  let probability: number | undefined;
  let probabilityText = '';
  let every: number | undefined;
  let neg = false;
  const out: CompiledMatch[] = [];
  for (const o of m.options) {
    const a = arg(o);
    if (o.name === 'mode' && (a === 'random' || a === 'nth')) mode = a;
    else if (o.name === 'probability' && a !== undefined && /^(0|1)?(\.\d+)?$/.test(a) && a !== '') {
      probability = Number(a);
      probabilityText = a;
      neg ||= o.negated;
    } else if (o.name === 'every' && a !== undefined && /^\d+$/.test(a) && Number(a) >= 1) {
      every = Number(a);
      neg ||= o.negated;
    } else if (o.name === 'packet' && a !== undefined && /^\d+$/.test(a)) continue;
    else out.push(badOption('statistic', o));
  }
  let p: number | undefined;
  let label: string;
  if (mode === 'random' && probability !== undefined && probability <= 1) {
    // The kernel compares against the rounded 31-bit value, so use that probability.
    p = Math.round(probability * 0x80000000) / 0x80000000;
    label = `statistic --mode random ${neg ? '! ' : ''}--probability ${probabilityText}`;
  } else if (mode === 'nth' && every !== undefined) {
    p = 1 / every;
    label = `statistic --mode nth ${neg ? '! ' : ''}--every ${every}`;
  } else {
    return [...out, { kind: 'unknown', reason: '-m statistic: mode and its parameter not understood' }];
  }
  if (neg) p = 1 - p;
  if (p >= 1) return out;
  if (p <= 0) return [...out, { kind: 'never', why: `${label} never matches` }];
  out.push({ kind: 'fork', fork: { probability: p, label } });
  return out;
}
