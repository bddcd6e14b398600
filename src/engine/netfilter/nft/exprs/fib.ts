// `fib saddr|daddr [. iif|. oif] type` (net/netfilter/nft_fib_ipv4.c nft_fib4_eval_type): the
// type of the address from the routing tables' point of view, like iptables' addrtype.
// `fib ... oif` (reverse-path checks) is not modelled.
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';

export const compileFib: ExprCompiler = (body): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const result = o['result'];
  const flags = Array.isArray(o['flags']) ? (o['flags'] as unknown[]) : [o['flags']];
  const addr = flags.includes('saddr') ? 'saddr' : flags.includes('daddr') ? 'daddr' : undefined;
  const text = `fib ${flags.join(' . ')} ${String(result)}`;
  if (result !== 'type' || addr === undefined || flags.includes('mark') || flags.includes('oif'))
    return { unknown: `${text} is not modelled` };
  const iif = flags.includes('iif');
  return {
    kind: 'fibtype',
    eval: (c) => {
      const a = addr === 'saddr' ? c.packet.src : c.packet.dst;
      const t = c.env.addrType(a, iif && c.inIface !== '' ? c.inIface : undefined);
      return t.toLowerCase();
    },
  };
};
