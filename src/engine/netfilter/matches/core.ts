// Core matches: -s -d -i -o -p -f (net/ipv4/netfilter/ip_tables.c ip_packet_match()).
import type { IptMatch, IptOption } from '../../../model/types.ts';
import type { Protocol } from '../../packet.ts';
import type { CompiledMatch, MatchCtx } from '../compiled.ts';
import { arg, ifaceTest, parseAddrMask } from '../options.ts';

/** IP protocol numbers of the packets the engine walks. */
export const PROTO_NUMBER: Readonly<Record<Protocol, number>> = { icmp: 1, ipip: 4, tcp: 6, udp: 17 };

/**
 * Protocol names iptables-save may print: it uses getprotobynumber() (/etc/protocols), so proto 4
 * comes out as "ipencap" on Debian; iptables also knows a built-in list (libxtables
 * xtables_chain_protos). "all" is 0, which matches every protocol.
 */
const PROTO_BY_NAME: Readonly<Record<string, number>> = {
  all: 0,
  ip: 0,
  icmp: 1,
  igmp: 2,
  ipencap: 4,
  'ip-encap': 4,
  ipv4: 4,
  ipip: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  ospf: 89,
  ospfigp: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  mpls: 137,
};

export function protocolNumber(name: string): number | undefined {
  if (/^\d{1,3}$/.test(name)) {
    const n = Number(name);
    return n <= 255 ? n : undefined;
  }
  return PROTO_BY_NAME[name.toLowerCase()];
}

function coreOption(o: IptOption): CompiledMatch {
  const neg = o.negated;
  switch (o.name) {
    case 's':
    case 'd': {
      const am = parseAddrMask(arg(o));
      if (am === undefined) return { kind: 'unknown', reason: `-${o.name} ${o.args.join(' ')}: not an IPv4 address` };
      const { net, mask } = am;
      if (mask === 0) return neg ? { kind: 'never', why: `! -${o.name} 0.0.0.0/0` } : { kind: 'always' };
      const pred =
        o.name === 's'
          ? (c: MatchCtx): boolean => ((c.packet.src & mask) >>> 0 === net) !== neg
          : (c: MatchCtx): boolean => ((c.packet.dst & mask) >>> 0 === net) !== neg;
      return { kind: 'pred', pred };
    }
    case 'i':
    case 'o': {
      const name = arg(o);
      if (name === undefined) return { kind: 'unknown', reason: `-${o.name} without an interface` };
      const test = ifaceTest(name);
      const pred =
        o.name === 'i'
          ? (c: MatchCtx): boolean => test(c.inIface) !== neg
          : (c: MatchCtx): boolean => test(c.outIface) !== neg;
      return { kind: 'pred', pred };
    }
    case 'p': {
      const name = arg(o);
      const num = name === undefined ? undefined : protocolNumber(name);
      if (num === undefined) return { kind: 'unknown', reason: `-p ${name ?? ''}: unknown protocol` };
      // ip_packet_match: a zero protocol in the rule matches any packet.
      if (num === 0) return neg ? { kind: 'never', why: '! -p all' } : { kind: 'always' };
      return { kind: 'pred', pred: (c) => (PROTO_NUMBER[c.packet.proto] === num) !== neg };
    }
    case 'f':
      // -f matches second and later fragments (fragment offset != 0). The engine's packets are
      // whole datagrams, so -f never matches and "! -f" always does.
      return neg ? { kind: 'always' } : { kind: 'never', why: '-f: the packet is not a fragment' };
    default:
      return { kind: 'unknown', reason: `core option ${o.name.length === 1 ? '-' : '--'}${o.name} not understood` };
  }
}

export function compileCore(m: IptMatch): CompiledMatch[] {
  return m.options.map(coreOption);
}
