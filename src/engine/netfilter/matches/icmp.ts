// -m icmp --icmp-type TYPE[/CODE] (net/ipv4/netfilter/ip_tables.c icmp_match, libipt_icmp.c).
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch, MatchResult } from '../compiled.ts';
import { arg, badOption } from '../options.ts';

/** Names libipt_icmp.c accepts, as type and code range. */
const ICMP_NAMES: Readonly<Record<string, [number, number, number]>> = {
  any: [0xff, 0, 0xff],
  'echo-reply': [0, 0, 0xff],
  pong: [0, 0, 0xff],
  'destination-unreachable': [3, 0, 0xff],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-route-failed': [3, 5, 5],
  'network-unknown': [3, 6, 6],
  'host-unknown': [3, 7, 7],
  'network-prohibited': [3, 9, 9],
  'host-prohibited': [3, 10, 10],
  'TOS-network-unreachable': [3, 11, 11],
  'TOS-host-unreachable': [3, 12, 12],
  'communication-prohibited': [3, 13, 13],
  'host-precedence-violation': [3, 14, 14],
  'precedence-cutoff': [3, 15, 15],
  'source-quench': [4, 0, 0xff],
  redirect: [5, 0, 0xff],
  'echo-request': [8, 0, 0xff],
  ping: [8, 0, 0xff],
  'router-advertisement': [9, 0, 0xff],
  'router-solicitation': [10, 0, 0xff],
  'time-exceeded': [11, 0, 0xff],
  'ttl-exceeded': [11, 0, 0xff],
  'parameter-problem': [12, 0, 0xff],
  'timestamp-request': [13, 0, 0xff],
  'timestamp-reply': [14, 0, 0xff],
  'address-mask-request': [17, 0, 0xff],
  'address-mask-reply': [18, 0, 0xff],
};

function parseIcmpType(s: string): [number, number, number] | undefined {
  const named = ICMP_NAMES[s];
  if (named !== undefined) return named;
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(s);
  if (m === null) return undefined;
  const type = Number(m[1]);
  const code = m[2] === undefined ? undefined : Number(m[2]);
  if (type > 255 || (code !== undefined && code > 255)) return undefined;
  return code === undefined ? [type, 0, 0xff] : [type, code, code];
}

export function compileIcmp(m: IptMatch): CompiledMatch[] {
  const out: CompiledMatch[] = [{ kind: 'pred', pred: (c) => c.packet.proto === 'icmp' }];
  for (const o of m.options) {
    const spec = o.name === 'icmp-type' ? parseIcmpType(arg(o) ?? '') : undefined;
    if (spec === undefined) {
      out.push(badOption('icmp', o));
      continue;
    }
    const [type, lo, hi] = spec;
    const neg = o.negated;
    out.push({
      kind: 'pred',
      pred: (c): MatchResult => {
        const t = c.packet.icmpType;
        if (t === undefined) return { unknown: '--icmp-type: the packet carries no ICMP type' };
        // icmp_type_code_match(): type 0xff matches every type. The engine's ICMP packets are
        // echo request/reply, whose code is 0.
        const code = 0;
        return (type === 0xff || (t === type && code >= lo && code <= hi)) !== neg;
      },
    });
  }
  return out;
}
