// Small hand-built host models for engine unit tests. The lab tests build hosts from real
// `ip`/`iptables` output; these exist to pin single kernel rules in isolation.
import type { Address, HostState, Link, PolicyRule, Route } from '../../../src/model/types.ts';
import { fullyCollected } from '../../../src/model/provenance.ts';
import type { EvaluateHook } from '../../../src/engine/netfilter/types.ts';

export function host(
  name: string,
  parts: {
    links?: Link[];
    addresses?: Address[];
    routes?: Route[];
    rules?: PolicyRule[];
    sysctls?: Record<string, string>;
  },
): HostState {
  return {
    name,
    links: [
      { index: 1, name: 'lo', kind: 'loopback', mtu: 65536, up: true, operState: 'UNKNOWN', raw: 'lo' },
      ...(parts.links ?? []),
    ],
    addresses: parts.addresses ?? [],
    routes: parts.routes ?? [],
    rules: parts.rules ?? [],
    neighbors: [],
    fdb: [],
    sysctls: new Map(Object.entries(parts.sysctls ?? {})),
    iptables: [],
    ipvs: [],
    ipsets: [],
    cni: [],
    missing: {},
    provenance: fullyCollected(),
    warnings: [],
  };
}

export function link(index: number, name: string, extra: Partial<Link> = {}): Link {
  return { index, name, kind: 'ether', mtu: 1500, up: true, operState: 'UP', raw: `${index}: ${name}`, ...extra };
}

export function addr(dev: string, cidr: string, extra: Partial<Address> = {}): Address {
  const [local, len] = cidr.split('/');
  return {
    dev,
    family: 'inet',
    local: local!,
    prefixLen: Number(len ?? 32),
    scope: 'global',
    secondary: false,
    raw: `inet ${cidr} dev ${dev}`,
    ...extra,
  };
}

/** A route from `ip route` words: "10.0.0.0/24 dev eth0 scope link src 10.0.0.1", "default via 1.2.3.4 dev eth0", "blackhole 10.1.0.0/24", "table 100 ...". */
export function route(text: string): Route {
  const w = text.split(/\s+/);
  const r: Route = {
    family: 'inet',
    table: 254,
    type: 'unicast',
    dst: '',
    tos: 0,
    onlink: false,
    metric: 0,
    protocol: 'boot',
    scope: 'global',
    nexthops: [],
    raw: text,
  };
  let i = 0;
  const types = ['local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw'];
  if (types.includes(w[0]!)) r.type = w[i++] as Route['type'];
  const dst = w[i++]!;
  r.dst = dst === 'default' ? '0.0.0.0/0' : dst.includes('/') ? dst : `${dst}/32`;
  while (i < w.length) {
    const k = w[i++]!;
    const v = w[i];
    if (k === 'via') {
      r.gateway = v!;
      i++;
    } else if (k === 'dev') {
      r.dev = v!;
      i++;
    } else if (k === 'src') {
      r.prefsrc = v!;
      i++;
    } else if (k === 'metric') {
      r.metric = Number(v);
      i++;
    } else if (k === 'scope') {
      r.scope = v!;
      i++;
    } else if (k === 'proto') {
      r.protocol = v!;
      i++;
    } else if (k === 'table') {
      r.table = v === 'local' ? 255 : v === 'main' ? 254 : Number(v);
      i++;
    } else if (k === 'onlink') r.onlink = true;
    else throw new Error(`route(): unknown word ${k}`);
  }
  if (r.type === 'local' || r.type === 'broadcast') {
    r.table = r.table === 254 ? 255 : r.table;
    r.scope = r.type === 'local' ? 'host' : 'link';
  }
  if (
    r.gateway === undefined &&
    r.type === 'unicast' &&
    r.scope === 'global' &&
    r.dev !== undefined &&
    r.dst !== '0.0.0.0/0'
  )
    r.scope = 'link';
  return r;
}

export function rule(priority: number, parts: Partial<PolicyRule>): PolicyRule {
  return {
    family: 'inet',
    priority,
    invert: false,
    action: 'table',
    raw: `${priority}: ${JSON.stringify(parts)}`,
    ...parts,
  };
}

/** Standard rules and local-table routes for a host's addresses. */
export function withLocal(h: HostState): HostState {
  const local = h.addresses.map((a) =>
    route(`local ${a.local} dev ${a.dev} table local proto kernel scope host src ${a.local}`),
  );
  return {
    ...h,
    routes: [...h.routes, ...local],
    rules:
      h.rules.length > 0
        ? h.rules
        : [
            rule(0, { table: 255, raw: '0:\tfrom all lookup local' }),
            rule(32766, { table: 254, raw: '32766:\tfrom all lookup main' }),
            rule(32767, { table: 253, raw: '32767:\tfrom all lookup default' }),
          ],
  };
}

/** A netfilter evaluator for hosts without rules: every hook accepts. */
export const acceptAll: EvaluateHook = (_rs, input) => [
  { verdict: 'accept', packet: input.packet, ct: input.ct, steps: [], branch: [] },
];
