// Payload expressions: `ip saddr`, `tcp dport`, `th dport`, `icmp type`. Named protocol fields
// carry nft's implicit dependency (`tcp dport` first checks `meta l4proto tcp`, src/payload.c
// payload_gen_dependency): on another protocol the rule does not match. `th` has none: it reads
// the transport header's bytes whatever the protocol, which the model has only for tcp/udp.
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { ABSENT, OPAQUE, PROTO_NUMBER } from '../value.ts';

const hasPorts = (proto: string): boolean => proto === 'tcp' || proto === 'udp';

export const compilePayload: ExprCompiler = (body): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const proto = o['protocol'];
  const field = o['field'];
  const what = `payload ${String(proto)} ${String(field)}`;
  if (proto === 'ip') {
    if (field === 'saddr') return { kind: 'ipv4', eval: (c) => c.packet.src };
    if (field === 'daddr') return { kind: 'ipv4', eval: (c) => c.packet.dst };
    if (field === 'protocol') return { kind: 'proto', eval: (c) => PROTO_NUMBER[c.packet.proto] ?? OPAQUE };
  }
  if ((proto === 'tcp' || proto === 'udp') && (field === 'sport' || field === 'dport')) {
    return {
      kind: 'int',
      eval: (c) => (c.packet.proto !== proto ? ABSENT : field === 'sport' ? c.packet.sport : c.packet.dport),
    };
  }
  if (proto === 'th' && (field === 'sport' || field === 'dport')) {
    return {
      kind: 'int',
      eval: (c) => (!hasPorts(c.packet.proto) ? OPAQUE : field === 'sport' ? c.packet.sport : c.packet.dport),
    };
  }
  if (proto === 'icmp' && field === 'type')
    return {
      kind: 'icmptype',
      eval: (c) => (c.packet.proto !== 'icmp' ? ABSENT : (c.packet.icmpType ?? OPAQUE)),
    };
  // IPv6 headers: their dependency (`meta nfproto ipv6`, `meta l4proto ipv6-icmp`) fails for IPv4.
  if (proto === 'ip6' || proto === 'icmpv6') return { kind: 'int', eval: () => ABSENT, constant: true };
  return { unknown: `${what} is not modelled` };
};
