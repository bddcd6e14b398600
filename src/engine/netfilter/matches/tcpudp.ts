// -m tcp / -m udp (net/netfilter/xt_tcpudp.c): port ranges and TCP flags.
import type { IptMatch, IptOption } from '../../../model/types.ts';
import type { CompiledMatch, MatchCtx, MatchResult } from '../compiled.ts';
import { arg, badOption, commaList, parsePortRange } from '../options.ts';

const TCP_FLAG_BITS: Readonly<Record<string, number>> = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  ALL: 0xff,
  NONE: 0,
};

/**
 * The TCP flags of the engine's packet. The engine walks the first packet of each direction:
 * a new connection (NEW, or RELATED for an expected one such as FTP data) starts with SYN; the
 * answer (ESTABLISHED, REPLY direction) is the SYN-ACK; an ESTABLISHED packet in the ORIGINAL
 * direction is a plain ACK. Untracked and invalid packets could be anything.
 */
export function tcpFlagsOf(c: MatchCtx): number | undefined {
  switch (c.ct.state) {
    case 'NEW':
    case 'RELATED':
      return TCP_FLAG_BITS.SYN;
    case 'ESTABLISHED':
      return c.ct.direction === 'REPLY' ? 0x12 : 0x10;
    default:
      return undefined;
  }
}

function flagMask(s: string | undefined): number | undefined {
  let m = 0;
  for (const f of commaList(s)) {
    const b = TCP_FLAG_BITS[f.toUpperCase()];
    if (b === undefined) return undefined;
    m |= b;
  }
  return m;
}

function portPred(module: string, o: IptOption, which: 'sport' | 'dport'): CompiledMatch {
  const r = parsePortRange(arg(o));
  if (r === undefined) return badOption(module, o);
  const [lo, hi] = r;
  const neg = o.negated;
  const proto = module;
  return {
    kind: 'pred',
    pred:
      which === 'sport'
        ? (c) => c.packet.proto === proto && (c.packet.sport >= lo && c.packet.sport <= hi) !== neg
        : (c) => c.packet.proto === proto && (c.packet.dport >= lo && c.packet.dport <= hi) !== neg,
  };
}

function tcpFlagsPred(mask: number, comp: number, neg: boolean, text: string): CompiledMatch {
  return {
    kind: 'pred',
    pred: (c): MatchResult => {
      if (c.packet.proto !== 'tcp') return false;
      const flags = tcpFlagsOf(c);
      if (flags === undefined)
        return { unknown: `--tcp-flags ${text}: the TCP flags of a ${c.ct.state} packet are not known` };
      return ((flags & mask) === comp) !== neg;
    },
  };
}

export function compileTcpUdp(m: IptMatch): CompiledMatch[] {
  const module = m.module ?? '';
  const out: CompiledMatch[] = [{ kind: 'pred', pred: (c) => c.packet.proto === module }];
  for (const o of m.options) {
    switch (o.name) {
      case 'sport':
      case 'source-port':
        out.push(portPred(module, o, 'sport'));
        break;
      case 'dport':
      case 'destination-port':
        out.push(portPred(module, o, 'dport'));
        break;
      case 'tcp-flags': {
        const mask = flagMask(o.args[0]);
        const comp = flagMask(o.args[1]);
        if (module !== 'tcp' || o.args.length !== 2 || mask === undefined || comp === undefined)
          out.push(badOption(module, o));
        else out.push(tcpFlagsPred(mask, comp, o.negated, o.args.join(' ')));
        break;
      }
      case 'syn':
        // --syn is --tcp-flags FIN,SYN,RST,ACK SYN (libxt_tcp.c).
        out.push(
          module === 'tcp' && o.args.length === 0
            ? tcpFlagsPred(0x17, 0x02, o.negated, 'FIN,SYN,RST,ACK SYN')
            : badOption(module, o),
        );
        break;
      default:
        out.push(badOption(module, o));
    }
  }
  return out;
}
