// `meta` expressions (src/meta.c): protocol, devices and the packet mark.
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { ABSENT, OPAQUE, PROTO_NUMBER } from '../value.ts';

export const compileMeta: ExprCompiler = (body): Expr | Unknown => {
  const key = ((body ?? {}) as Record<string, unknown>)['key'];
  switch (key) {
    case 'l4proto':
      return { kind: 'proto', eval: (c) => PROTO_NUMBER[c.packet.proto] ?? OPAQUE };
    case 'nfproto':
      // Only IPv4 packets are walked (NFPROTO_IPV4 = 2).
      return { kind: 'nfproto', eval: () => 2, constant: true };
    case 'iifname':
    case 'iif':
      // `iif` compares the ifindex nft resolved at load time; the name stands for it.
      return { kind: 'ifname', eval: (c) => (c.inIface === '' ? ABSENT : c.inIface) };
    case 'oifname':
    case 'oif':
      return { kind: 'ifname', eval: (c) => (c.outIface === '' ? ABSENT : c.outIface) };
    case 'mark':
      return { kind: 'int', eval: (c) => c.packet.mark };
    default:
      return { unknown: `meta ${String(key)} is not modelled` };
  }
};
