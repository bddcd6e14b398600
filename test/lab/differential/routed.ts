// A routed topology with two paths between a client and a server, and the knobs the generator
// turns at random for each scenario: which path each side routes over (asymmetry), ip_forward,
// rp_filter per device, blackhole/unreachable/prohibit routes, a policy rule, and netfilter rules
// (DROP, REJECT, DNAT, SNAT, MASQUERADE) on the routers and the server.
//
//            10.1.0.0/24            10.2.0.0/24
//   client eth0 ─────── eth0 r1 eth1 ─────── eth0 server   (server also owns 10.9.0.1 on lo)
//          eth1 ─────── eth0 r2 eth1 ─────── eth1
//            10.3.0.0/24            10.4.0.0/24
import type { Lab } from '../harness/index.ts';
import { sessionAffinityService } from './affinity.ts';

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
    { a: { host: 'r1', dev: 'eth1', addr: '10.2.0.1/24' }, b: { host: 'server', dev: 'eth0', addr: '10.2.0.2/24' } },
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
  commands: { host: string; argv: string[]; input?: string; mayFail?: boolean }[];
  flows: FlowSpec[];
  /** Human summary of the knobs, printed on disagreement. */
  summary: string[];
  /** Lab hosts the engine knows only as pods (name = lab host, on a probed node). */
  pods?: { name: string; ip: string; node: string }[];
  /** Lab hosts the engine knows only as external addresses, and the node their packets enter by. */
  externals?: { name: string; ip: string; entry: { host: string; dev: string } }[];
}

const ROUTER_DEVS = ['eth0', 'eth1'];

function iptablesFor(r: Rand, host: string, summary: string[]): string {
  const filter: string[] = [];
  const nat: string[] = [];
  const add = (table: string[], rule: string) => {
    table.push(rule);
    summary.push(`${host}: ${rule}`);
  };
  if (host === 'server') {
    if (chance(r, 0.15)) add(filter, `-A INPUT -p udp -s ${pick(r, ['10.1.0.2', '10.3.0.2', '10.1.0.0/16'])} -j DROP`);
    if (chance(r, 0.1)) add(filter, '-A INPUT -p icmp -j REJECT --reject-with icmp-host-prohibited');
    if (chance(r, 0.1)) add(filter, '-A OUTPUT -p udp -d 10.3.0.2 -j DROP');
  } else {
    if (chance(r, 0.15))
      add(
        filter,
        `-A FORWARD -d ${pick(r, ['10.2.0.2', '10.4.0.2', '10.9.0.1', '10.1.0.2'])} -j ${pick(r, ['DROP', 'REJECT'])}`,
      );
    if (chance(r, 0.1)) add(filter, `-A FORWARD -i eth1 -o eth0 -p ${pick(r, ['udp', 'tcp', 'icmp'])} -j DROP`);
    if (chance(r, 0.1)) {
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

  // Routes: which router each side uses, or a hole.
  const clientVia = (dst: string) => {
    const v = pick(r, ['r1', 'r1', 'r2', 'blackhole', 'unreachable']);
    summary.push(`client: ${dst} → ${v}`);
    if (v === 'r1') sh('client', 'ip', 'route', 'replace', dst, 'via', '10.1.0.1', 'dev', 'eth0');
    else if (v === 'r2') sh('client', 'ip', 'route', 'replace', dst, 'via', '10.3.0.1', 'dev', 'eth1');
    else sh('client', 'ip', 'route', 'replace', v, dst);
  };
  clientVia('10.2.0.0/24');
  clientVia('10.4.0.0/24');
  clientVia('10.9.0.0/24');
  const serverBack = pick(r, ['r1', 'r1', 'r2', 'prohibit']);
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
  const serverBack3 = pick(r, ['r1', 'r2', 'r2']);
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
    const v = pick(r, ['none', 'none', 'server']);
    cmds.push({ host: rt, argv: ['ip', 'route', 'flush', other], mayFail: true });
    if (v === 'server') {
      sh(rt, 'ip', 'route', 'replace', other, 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
      summary.push(`${rt}: ${other} via server`);
    }
    const far = rt === 'r1' ? '10.4.0.0/24' : '10.2.0.0/24';
    sh(rt, 'ip', 'route', 'replace', far, 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
    sh(rt, 'ip', 'route', 'replace', '10.9.0.0/24', 'via', rt === 'r1' ? '10.2.0.2' : '10.4.0.2', 'dev', 'eth1');
  }

  // Policy rule on the server: answers from 10.9.0.1 leave through r2.
  cmds.push({ host: 'server', argv: ['ip', 'rule', 'del', 'priority', '100'], mayFail: true });
  sh('server', 'ip', 'route', 'replace', 'default', 'via', '10.4.0.1', 'dev', 'eth1', 'table', '100');
  if (chance(r, 0.3)) {
    sh('server', 'ip', 'rule', 'add', 'from', '10.9.0.1', 'lookup', '100', 'priority', '100');
    summary.push('server: rule from 10.9.0.1 lookup 100 (default via r2)');
  }

  // Sysctls.
  for (const h of ['r1', 'r2', 'server']) {
    const all = pick(r, ['0', '0', '1', '2']);
    sh(h, 'sysctl', '-qw', `net.ipv4.conf.all.rp_filter=${all}`);
    const devs: string[] = [];
    for (const d of ROUTER_DEVS) {
      const v = pick(r, ['0', '1', '2']);
      sh(h, 'sysctl', '-qw', `net.ipv4.conf.${d}.rp_filter=${v}`);
      devs.push(`${d}=${v}`);
    }
    summary.push(`${h}: rp_filter all=${all} ${devs.join(' ')}`);
  }
  for (const h of ['r1', 'r2']) {
    const fwd = chance(r, 0.85) ? '1' : '0';
    sh(h, 'sysctl', '-qw', `net.ipv4.ip_forward=${fwd}`);
    if (fwd === '0') summary.push(`${h}: ip_forward=0`);
  }

  // Netfilter.
  for (const h of ['r1', 'r2', 'server'])
    cmds.push({ host: h, argv: ['iptables-nft-restore'], input: iptablesFor(r, h, summary) });

  const flows: FlowSpec[] = [];
  const nFlows = 3;
  for (let i = 0; i < nFlows; i++) {
    const proto = pick(r, ['udp', 'udp', 'udp', 'tcp', 'icmp'] as const);
    const dst = pick(r, ['10.2.0.2', '10.4.0.2', '10.9.0.1']);
    const srcAddr = pick(r, [undefined, '10.1.0.2', '10.3.0.2']);
    flows.push({ from: 'client', dst, proto, ...(srcAddr !== undefined ? { srcAddr } : {}) });
  }
  return { seed, commands: cmds, flows, summary };
}
