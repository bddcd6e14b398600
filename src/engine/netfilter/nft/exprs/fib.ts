// `fib` (net/ipv4/netfilter/nft_fib_ipv4.c). `fib saddr|daddr [. iif|. oif] type`
// (nft_fib4_eval_type): the address's type from the routing tables' point of view, limited to the
// input or output device, like iptables' addrtype. `fib saddr|daddr [. mark] [. iif|. oif] oif`
// (nft_fib4_eval): a route lookup, for reverse-path checks (`fib saddr . iif oif missing drop`).
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler, NftCtx } from '../types.ts';
import type { Value } from '../value.ts';

/** nft_fib4_eval: the route lookup for `fib ... oif|oifname`; '' when it finds nothing usable (0). */
function evalOif(c: NftCtx, flags: readonly unknown[]): Value | Unknown {
  const p = c.packet;
  const iif = flags.includes('iif');
  const via = flags.includes('oif') ? c.outIface : iif ? c.inIface : undefined;
  // nft_fib_validate refuses the flag on a hook without that device: the walk lacks it here.
  if (via === '') return { unknown: 'the device the fib expression checks is not known at this hook' };
  // nft_fib_is_loopback: in PREROUTING, a packet from lo is its own answer.
  if (c.hook === 'PREROUTING' && c.inIface === 'lo') return c.inIface;
  // From 0.0.0.0 to the limited broadcast or a local multicast group (a DHCP client): the device
  // it came by, without a lookup.
  if (p.src === 0 && (p.dst === 0xffffffff || p.dst >>> 8 === 0xe00000)) return c.inIface === '' ? '' : c.inIface;
  // get_saddr(): no source for multicast, limited broadcast and 0.0.0.0 (ipv4_is_*).
  const plain = (a: number): number => (a >>> 28 === 0xe || a === 0xffffffff || a === 0 ? 0 : a);
  const daddr = flags.includes('daddr');
  // In FORWARD, `. iif` reverse lookups come from the output device (flowi4_iif = nft_out()).
  const fromOut = !daddr && iif && c.hook === 'FORWARD' && c.outIface !== '';
  return c.env.fibOif({
    dst: daddr ? p.dst : p.src,
    src: plain(daddr ? p.src : p.dst),
    iif: fromOut ? c.outIface : 'lo',
    mark: flags.includes('mark') ? p.mark : 0,
    ...(via !== undefined ? { via } : {}),
  });
}

export const compileFib: ExprCompiler = (body): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const result = o['result'];
  const flags = Array.isArray(o['flags']) ? (o['flags'] as unknown[]) : [o['flags']];
  const addr = flags.includes('saddr') ? 'saddr' : flags.includes('daddr') ? 'daddr' : undefined;
  const text = `fib ${flags.join(' . ')} ${String(result)}`;
  if (addr === undefined) return { unknown: `${text} is not modelled` };
  if (result === 'oif' || result === 'oifname') return { kind: 'fiboif', eval: (c) => evalOif(c, flags) };
  if (result !== 'type' || flags.includes('mark')) return { unknown: `${text} is not modelled` };
  const iif = flags.includes('iif');
  const oif = flags.includes('oif');
  return {
    kind: 'fibtype',
    eval: (c) => {
      const a = addr === 'saddr' ? c.packet.src : c.packet.dst;
      const dev = iif ? c.inIface : oif ? c.outIface : '';
      const t = c.env.addrType(a, dev !== '' ? dev : undefined);
      return t.toLowerCase();
    },
  };
};
