// `numgen random mod N [offset O]` (net/netfilter/nft_numgen.c): a random number in
// [O, O+N). Like iptables' statistic it does not depend on the packet: the walk explores each
// value as a branch of probability 1/N (kube-proxy picks an endpoint with it). `numgen inc` is a
// counter the snapshot does not show; it branches the same way.
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';

export const compileNumgen: ExprCompiler = (body): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const mode = o['mode'];
  const mod = o['mod'];
  const offset = typeof o['offset'] === 'number' ? o['offset'] : 0;
  if ((mode !== 'random' && mode !== 'inc') || typeof mod !== 'number' || mod < 1 || mod > 4096)
    return { unknown: `numgen ${String(mode)} mod ${String(mod)} is not modelled` };
  const text = `numgen ${mode} mod ${mod}${offset ? ` offset ${offset}` : ''}`;
  return {
    kind: 'int',
    numgen: { mod, offset, text },
    eval: (c) => (c.numgen === undefined ? { unknown: `${text} outside a branch` } : c.numgen),
  };
};
