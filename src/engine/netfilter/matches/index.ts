// Match modules by name → compiler. A module missing here, or an option a compiler does not
// know, compiles to 'unknown': the walk then reports the rule instead of guessing.
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch } from '../compiled.ts';
import { compileAddrtype } from './addrtype.ts';
import { compileCtMatch } from './conntrack.ts';
import { compileCore } from './core.ts';
import { compileIcmp } from './icmp.ts';
import { compileMark } from './mark.ts';
import { compileMultiport } from './multiport.ts';
import { compileNfacct } from './nfacct.ts';
import { compilePhysdev } from './physdev.ts';
import { compileRecent } from './recent.ts';
import { compileRpfilter } from './rpfilter.ts';
import { compileSetMatch } from './set.ts';
import {
  compileComment,
  compileHashlimit,
  compileIprange,
  compileLength,
  compileLimit,
  compilePkttype,
} from './simple.ts';
import { compileStatistic } from './statistic.ts';
import { compileTcpUdp } from './tcpudp.ts';

type MatchCompiler = (m: IptMatch) => CompiledMatch[];

const COMPILERS: Readonly<Record<string, MatchCompiler>> = {
  tcp: compileTcpUdp,
  udp: compileTcpUdp,
  icmp: compileIcmp,
  multiport: compileMultiport,
  comment: compileComment,
  addrtype: compileAddrtype,
  set: compileSetMatch,
  mark: compileMark,
  connmark: compileMark,
  conntrack: compileCtMatch,
  state: compileCtMatch,
  physdev: compilePhysdev,
  statistic: compileStatistic,
  rpfilter: compileRpfilter,
  pkttype: compilePkttype,
  limit: compileLimit,
  hashlimit: compileHashlimit,
  length: compileLength,
  iprange: compileIprange,
  recent: compileRecent,
  nfacct: compileNfacct,
};

/** Why some well-known modules cannot be decided from a snapshot. */
const NOT_MODELLED: Readonly<Record<string, string>> = {
  socket: 'it depends on the sockets open on the host',
  owner: 'it depends on the process that sent the packet',
  cgroup: 'it depends on the cgroup of the sending process',
  policy: 'it depends on IPsec (xfrm) state, which is not collected',
  connlimit: 'it depends on how many connections are open',
  connbytes: 'it depends on the traffic of the connection so far',
  quota: 'it depends on the traffic counted so far',
  mac: 'the engine does not model link-layer addresses',
  bpf: 'it runs a BPF program',
  u32: 'it tests raw packet bytes',
  string: 'it searches the payload',
  time: 'it depends on the time of day',
  helper: 'it depends on conntrack helpers',
  ipvs: 'it depends on IPVS state',
  tos: 'the engine does not model the TOS field',
  dscp: 'the engine does not model the DSCP field',
  ttl: 'the engine does not model the TTL',
  ecn: 'the engine does not model ECN bits',
};

export function compileMatch(m: IptMatch): CompiledMatch[] {
  if (m.module === null) return compileCore(m);
  const compiler = COMPILERS[m.module];
  if (compiler !== undefined) return compiler(m);
  const why = NOT_MODELLED[m.module] ?? 'the evaluator does not implement this match';
  return [{ kind: 'unknown', reason: `-m ${m.module}: ${why}` }];
}
