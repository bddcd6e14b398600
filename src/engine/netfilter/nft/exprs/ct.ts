// `ct` expressions (src/ct.c, net/netfilter/nft_ct.c): state, status, mark, direction and the
// original tuple. Without a conntrack entry (untracked, invalid) only `ct state` has a value;
// the others fail the rule (nft_ct_get_eval: NFT_BREAK when there is no ct).
import type { Unknown } from '../../compiled.ts';
import type { ConntrackView } from '../../types.ts';
import type { Expr, ExprCompiler } from '../types.ts';
import { ABSENT, ctStateBit } from '../value.ts';

const tracked = (ct: ConntrackView): boolean => ct.state !== 'UNTRACKED' && ct.state !== 'INVALID';

export const compileCt: ExprCompiler = (body): Expr | Unknown => {
  const o = (body ?? {}) as Record<string, unknown>;
  const key = o['key'];
  const dir = o['dir'];
  switch (key) {
    case 'state':
      return { kind: 'ctstate', eval: (c) => ctStateBit(c.ct.state) };
    case 'status':
      return {
        kind: 'ctstatus',
        // IPS_CONFIRMED for every entry that got past a first packet; SEEN_REPLY once answered.
        eval: (c) =>
          !tracked(c.ct)
            ? ABSENT
            : (c.ct.dnat ? 32 : 0) |
              (c.ct.snat ? 16 : 0) |
              (c.ct.state === 'NEW' ? 0 : 8) |
              (c.ct.state === 'ESTABLISHED' ? 2 : 0),
      };
    case 'mark':
      return { kind: 'int', eval: (c) => (tracked(c.ct) ? c.packet.connmark : ABSENT) };
    case 'direction':
      return { kind: 'ctdir', eval: (c) => (!tracked(c.ct) ? ABSENT : c.ct.direction === 'ORIGINAL' ? 0 : 1) };
    default:
      break;
  }
  if (dir === 'original' && (key === 'daddr' || key === 'ip daddr'))
    return { kind: 'ipv4', eval: (c) => (tracked(c.ct) ? c.ct.origDst : ABSENT) };
  if (dir === 'original' && (key === 'saddr' || key === 'ip saddr'))
    return { kind: 'ipv4', eval: (c) => (tracked(c.ct) ? c.ct.origSrc : ABSENT) };
  if (dir === 'original' && key === 'proto-dst')
    return { kind: 'int', eval: (c) => (tracked(c.ct) ? c.ct.origDport : ABSENT) };
  return { unknown: `ct ${dir === undefined ? '' : `${String(dir)} `}${String(key)} is not modelled` };
};
