// A routed topology with two paths between a client and a server, and the knobs the generator
// turns at random for each scenario: which path each side routes over (asymmetry), ip_forward,
// rp_filter per device, blackhole/unreachable/prohibit routes, a policy rule, and netfilter rules
// (DROP, REJECT, DNAT, SNAT, MASQUERADE) on the routers and the server. Half the scenarios are
// "calm" (no route holes, no DROP/REJECT, forwarding on, rp_filter off or loose): a generator
// that mostly breaks things says little about the healthy path. Every scenario also sets the L2
// knobs: the server's second subnet 10.20.0.0/24 on the r1 link, which r1 reaches by an on-link
// route only (two subnets on one segment: r1 knows the server there by its neighbour entry,
// warmed by a ping, made permanent or STALE), and a FAILED or STALE entry for a next hop on a
// shared subnet (the kernel resolves it again).
//
//            10.1.0.0/24            10.2.0.0/24 + 10.20.0.0/24 (server only; r1: on-link route)
//   client eth0 ─────── eth0 r1 eth1 ─────── eth0 server   (server also owns 10.9.0.1 on lo)
//          eth1 ─────── eth0 r2 eth1 ─────── eth1
//            10.3.0.0/24            10.4.0.0/24
import type { Lab } from '../harness/index.ts';
import { sessionAffinityService } from './affinity.ts';
import { CLEAR_NATIVE, toNative } from './nft-backend.ts';
import { mulberry32 } from '../../fuzz/prng.ts';

/** Share of routed scenarios whose rules are native nftables (NETCHECK_DIFF_NFT, default 0.5). */
const NATIVE_SHARE = Number(process.env['NETCHECK_DIFF_NFT'] ?? 0.5);

/** The server's address in a second subnet on the r1–server segment, and its eth0's MAC. */
export const SECOND_SUBNET_IP = '10.20.0.2';
const SERVER_ETH0_MAC = '02:00:00:00:02:02';

export const ROUTED: Lab = {
  hosts: [
    { name: 'client', forwarding: false, addresses: [], routes: [] },
    { name: 'r1', forwarding: true },
    { name: 'r2', forwarding: true },
    { name: 'server', forwarding: false, addresses: ['10.9.0.1/32 dev lo'] },
  ],
  links: [
    { a: { host: 'client', dev: 'eth0', addr: '10.1.0.2/24' }, b: { host: 'r1', dev: 'eth0', addr: '10.1.0.1/24' } },
    { a: { host: 'client', dev: 'eth1', addr: '10.3.0.2/24' }, b: { host: 'r2', dev: 'eth0', addr: '10.3.0.1/24' } },
    {
      a: { host: 'r1', dev: 'eth1', addr: '10.2.0.1/24' },
      b: { host: 'server', dev: 'eth0', addr: ['10.2.0.2/24', `${SECOND_SUBNET_IP}/24`], mac: SERVER_ETH0_MAC },
    },
    { a: { host: 'r2', dev: 'eth1', addr: '10.4.0.1/24' }, b: { host: 'server', dev: 'eth1', addr: '10.4.0.2/24' } },
  ],
};

export type Rand = () => number;

export function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export function chance(r: Rand, p: number): boolean {
  return r() < p;
}

export interface FlowSpec {
  from: string;
  dst: string;
  proto: 'udp' | 'tcp' | 'icmp';
  srcAddr?: string;
}

/** One scenario: commands per host that set every knob (idempotently), and the flows to try. */
export interface Scenario {
  seed: number;
  /**
   * Commands per host. Hosts run side by side, each host's commands in order; `settle` commands
   * run after every host's knobs are set (a ping that primes a neighbour entry must not race the
   * peer's reconfiguration, or the entry it leaves is FAILED for a reason the scenario never set).
   */
  commands: { host: string; argv: string[]; input?: string; mayFail?: boolean; settle?: boolean }[];
  flows: FlowSpec[];
  /** Human summary of the knobs, printed on disagreement. */
  summary: string[];
  /** Lab hosts the engine knows only as pods (name = lab host, on a probed node). */
  pods?: { name: string; ip: string; node: string }[];
  /** Lab hosts the engine knows only as external addresses, and the node their packets enter by. */
  externals?: { name: string; ip: string; entry: { host: string; dev: string } }[];
}

const ROUTER_DEVS = ['eth0', 'eth1'];

/** A knob that breaks things: never in a calm scenario. */
function breaks(r: Rand, calm: boolean, p: number): boolean {
  return !calm && chance(r, p);
}

/** The host's netfilter commands: iptables-nft-restore, or (the nftables knob) native nft plus what stays in iptables. */
function netfilterFor(
  r: Rand,
  native: Rand | undefined,
  host: string,
  summary: string[],
  calm: boolean,
): Scenario['commands'] {
  const { filter, nat } = iptablesRules(r, host, summary, calm);
  const restore = (f: readonly string[], n: readonly string[]) => ({
    host,
    argv: ['iptables-nft-restore'],
    input: iptablesSave(f, n),
  });
  // A native table left by an earlier scenario must not decide this one: one nft run clears it (and loads the new one).
  if (native === undefined) return [restore(filter, nat), { host, argv: ['nft', '-f', '-'], input: CLEAR_NATIVE }];
  const n = toNative(native, filter, nat);
  summary.push(`${host}: ${n.summary}`);
  return [restore(n.filter, n.nat), { host, argv: ['nft', '-f', '-'], input: n.nft }];
}

function iptablesRules(r: Rand, host: string, summary: string[], calm: boolean): { filter: string[]; nat: string[] } {
  const filter: string[] = [];
  const nat: string[] = [];
  const add = (table: string[], rule: string) => {
    table.push(rule);
    summary.push(`${host}: ${rule}`);
  };
  if (host === 'server') {
    if (breaks(r, calm, 0.15))
      add(filter, `-A INPUT -p udp -s ${pick(r, ['10.1.0.2', '10.3.0.2', '10.1.0.0/16'])} -j DROP`);
    if (breaks(r, calm, 0.1)) add(filter, '-A INPUT -p icmp -j REJECT --reject-with icmp-host-prohibited');
    if (breaks(r, calm, 0.1)) add(filter, '-A OUTPUT -p udp -d 10.3.0.2 -j DROP');
  } else {
    if (breaks(r, calm, 0.15))
      add(
        filter,
        `-A FORWARD -d ${pick(r, ['10.2.0.2', '10.4.0.2', '10.9.0.1', '10.1.0.2'])} -j ${pick(r, ['DROP', 'REJECT'])}`,
      );
    if (breaks(r, calm, 0.1)) add(filter, `-A FORWARD -i eth1 -o eth0 -p ${pick(r, ['udp', 'tcp', 'icmp'])} -j DROP`);
    if (breaks(r, calm, 0.1)) {
      filter.unshift(':FORWARD DROP [0:0]');
      summary.push(`${host}: FORWARD policy DROP`);
      add(filter, '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
      add(filter, '-A FORWARD -i eth0 -o eth1 -j ACCEPT');
    }
    if (chance(r, 0.2)) add(nat, '-A POSTROUTING -o eth1 -j MASQUERADE');
    else if (chance(r, 0.1))
      add(nat, `-A POSTROUTING -o eth1 -s 10.0.0.0/8 -j SNAT --to-source ${host === 'r1' ? '10.2.0.1' : '10.4.0.1'}`);
    if (chance(r, 0.2))
      add(nat, `-A PREROUTING -d 10.9.0.1 -p udp -j DNAT --to-destination ${pick(r, ['10.2.0.2', '10.4.0.2'])}`);
    nat.push(...sessionAffinityService(r, host, summary));
  }
  return { filter, nat };
}

function iptablesSave(filter: readonly string[], nat: readonly string[]): string {
  const hasPolicy = filter[0]?.startsWith(':FORWARD') === true;
  const chains = hasPolicy ? [filter[0]!, ...filter.slice(1)] : filter;
  return [
    '*filter',
    ...(hasPolicy ? [] : [':FORWARD ACCEPT [0:0]']),
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...chains,
    'COMMIT',
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ...nat,
    'COMMIT',
    '',
  ].join('\n');
}

export function routedScenario(r: Rand, seed: number): Scenario {
  const summary: string[] = [];
  const cmds: Scenario['commands'] = [];
  const sh = (host: string, ...argv: string[]) => cmds.push({ host, argv });
  const calm = chance(r, 0.5);
  if (calm) summary.push('calm: no route holes, no DROP/REJECT, forwarding on, rp_filter off or loose');

  // Routes: which router each side uses, or a hole.
  const clientVia = (dst: string) => {
    const v = pick(r, calm ? ['r1', 'r1', 'r2'] : ['r1', 'r1', 'r2', 'blackhole', 'unreachable']);
    summary.push(`client: ${dst} → ${v}`);
    if (v === 'r1') sh('client', 'ip', 'route', 'replace', dst, 'via', '10.1.0.1', 'dev', 'eth0');
    else if (v === 'r2') sh('client', 'ip', 'route', 'replace', dst, 'via', '10.3.0.1', 'dev', 'eth1');
    else sh('client', 'ip', 'route', 'replace', v, dst);
  };
  clientVia('10.2.0.0/24');
  clientVia('10.4.0.0/24');
  clientVia('10.9.0.0/24');
  clientVia('10.20.0.0/24');
  // Calm: each client subnet is answered through its own router (symmetric paths).
  const serverBack = calm ? 'r1' : pick(r, ['r1', 'r1', 'r2', 'prohibit']);
  summary.push(`server: 10.1.0.0/16 → ${serverBack}`);
  if (serverBack === 'prohibit') sh('server', 'ip', 'route', 'replace', 'prohibit', '10.1.0.0/16');
  else
    sh(
      'server',
      'ip',
      'route',
      'replace',
      '10.1.0.0/16',
      'via',
      serverBack === 'r1' ? '10.2.0.1' : '10.4.0.1',
      'dev',
      serverBack === 'r1' ? 'eth0' : 'eth1',
    );
  const serverBack3 = calm ? 'r2' : pick(r, ['r1', 'r2', 'r2']);
  summary.push(`server: 10.3.0.0/24 → ${serverBack3}`);
  sh(
    'server',
    'ip',
    'route',
    'replace',
    '10.3.0.0/24',
    'via',
    serverBack3 === 'r1' ? '10.2.0.1' : '10.4.0.1',
    'dev',
    serverBack3 === 'r1' ? 'eth0' : 'eth1',
  );
  for (const rt of ['r1', 'r2']) {
    // Each router reaches the far client subnet through the client's other leg only via the client: none.
    const other = rt === 'r1' ? '10.3.0.0/24' : '10.1.0.0/24';
    const v = calm ? 'server' : pick(r, ['none', 'none', 'server']);
    cmds.push({ host: rt, argv: ['ip', 'route', 'flush', other], mayFail: true });
    if (v === 'server') {
      sh(rt, 'ip', 'route', 'replace', other, 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
      summary.push(`${rt}: ${other} via server`);
    }
    const far = rt === 'r1' ? '10.4.0.0/24' : '10.2.0.0/24';
    sh(rt, 'ip', 'route', 'replace', far, 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
    sh(rt, 'ip', 'route', 'replace', '10.9.0.0/24', 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
  }

  l2Knobs(r, cmds, summary);

  // Policy rule on the server: answers from 10.9.0.1 leave through r2.
  cmds.push({ host: 'server', argv: ['ip', 'rule', 'del', 'priority', '100'], mayFail: true });
  sh('server', 'ip', 'route', 'replace', 'default', 'via', '10.4.0.1', 'dev', 'eth1', 'table', '100');
  if (chance(r, 0.3)) {
    sh('server', 'ip', 'rule', 'add', 'from', '10.9.0.1', 'lookup', '100', 'priority', '100');
    summary.push('server: rule from 10.9.0.1 lookup 100 (default via r2)');
  }

  // Sysctls.
  for (const h of ['r1', 'r2', 'server']) {
    const all = pick(r, calm ? ['0', '0', '2'] : ['0', '0', '1', '2']);
    sh(h, 'sysctl', '-qw', `net.ipv4.conf.all.rp_filter=${all}`);
    const devs: string[] = [];
    for (const d of ROUTER_DEVS) {
      const v = pick(r, calm ? ['0', '2'] : ['0', '1', '2']);
      sh(h, 'sysctl', '-qw', `net.ipv4.conf.${d}.rp_filter=${v}`);
      devs.push(`${d}=${v}`);
    }
    summary.push(`${h}: rp_filter all=${all} ${devs.join(' ')}`);
  }
  for (const h of ['r1', 'r2']) {
    const fwd = calm || chance(r, 0.85) ? '1' : '0';
    sh(h, 'sysctl', '-qw', `net.ipv4.ip_forward=${fwd}`);
    if (fwd === '0') summary.push(`${h}: ip_forward=0`);
  }

  // Netfilter: iptables, or (a separate draw, so the other knobs of a seed stay as they were) native nftables.
  const nr = mulberry32(seed ^ 0x6e667400);
  const native = nr() < NATIVE_SHARE ? nr : undefined;
  for (const h of ['r1', 'r2', 'server']) cmds.push(...netfilterFor(r, native, h, summary, calm));

  const flows: FlowSpec[] = [];
  const nFlows = 3;
  for (let i = 0; i < nFlows; i++) {
    const proto = pick(r, ['udp', 'udp', 'udp', 'tcp', 'icmp'] as const);
    const dst = pick(r, ['10.2.0.2', '10.4.0.2', '10.9.0.1', SECOND_SUBNET_IP]);
    // A source address the client's route does not pick makes the path asymmetric: not when calm.
    const srcAddr = calm ? undefined : pick(r, [undefined, '10.1.0.2', '10.3.0.2']);
    flows.push({ from: 'client', dst, proto, ...(srcAddr !== undefined ? { srcAddr } : {}) });
  }
  return { seed, commands: cmds, flows, summary };
}

/**
 * L2 knobs (kept apart from the others): how r1 knows the server's second-subnet address, which it
 * reaches by `10.20.0.0/24 dev eth1 scope link` only — an entry learnt by a ping (REACHABLE), made
 * permanent, or aged to STALE (still used: neigh_resolve_output sends and re-probes) — and the
 * state of r1's entry for 10.2.0.2, a next hop on a shared subnet: untouched, FAILED or STALE
 * (the kernel resolves a FAILED entry again on the next packet). Without any entry for the
 * second-subnet address netcheck cannot tell whether it answers ARP (unknown): not generated.
 */
function l2Knobs(r: Rand, cmds: Scenario['commands'], summary: string[]): void {
  const sh = (...argv: string[]) => cmds.push({ host: 'r1', argv });
  sh('ip', 'route', 'replace', '10.20.0.0/24', 'dev', 'eth1', 'scope', 'link');
  sh('ip', 'neigh', 'flush', 'dev', 'eth1');
  const second = pick(r, ['ping', 'permanent', 'stale'] as const);
  if (second === 'ping')
    cmds.push({ host: 'r1', argv: ['ping', '-c', '1', '-W', '1', SECOND_SUBNET_IP], mayFail: true, settle: true });
  else sh('ip', 'neigh', 'replace', SECOND_SUBNET_IP, 'lladdr', SERVER_ETH0_MAC, 'dev', 'eth1', 'nud', second);
  const shared = pick(r, ['untouched', 'untouched', 'failed', 'stale'] as const);
  if (shared === 'failed') sh('ip', 'neigh', 'replace', '10.2.0.2', 'dev', 'eth1', 'nud', 'failed');
  if (shared === 'stale')
    sh('ip', 'neigh', 'replace', '10.2.0.2', 'lladdr', SERVER_ETH0_MAC, 'dev', 'eth1', 'nud', 'stale');
  summary.push(`r1: ${SECOND_SUBNET_IP} on-link via eth1, neighbour ${second}; 10.2.0.2 neighbour ${shared}`);
}
