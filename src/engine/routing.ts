// IPv4 policy routing as the kernel does it: fib_rules_lookup over `ip rule` in priority order,
// fib_table_lookup (longest prefix, TOS, metric, oif) in each table, route types and their
// errors, and the source address the kernel picks. Sources: net/core/fib_rules.c,
// net/ipv4/fib_rules.c, net/ipv4/fib_trie.c, net/ipv4/fib_semantics.c, net/ipv4/devinet.c.
import { cidrContains, formatIpv4, maskOf, parseCidr4, parseIpv4 } from '../lib/ipv4.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import type { PolicyRule, Route } from '../model/types.ts';
import { said } from '../model/said.ts';
import type { Said } from '../model/said.ts';
import { primaryAddresses } from './host-net.ts';
import type { HostNet, IndexedRoute } from './host-net.ts';

/** The flow key of a lookup (struct flowi4, the parts that matter). */
export interface FlowKey {
  dst: Ipv4;
  /** 0 when not yet chosen (locally generated packet before source selection). */
  src: Ipv4;
  /** Input device; "lo" for locally generated packets (LOOPBACK_IFINDEX). */
  iif: string;
  /** Output device when the lookup is restricted to one (socket bound, rp_filter loose 2nd pass). */
  oif?: string;
  mark: number;
  tos: number;
}

/** 'unknown': the deciding rule or route carries attributes the model does not represent (`unmodeled`). */
export type FibError = 'no-route' | 'blackhole' | 'unreachable' | 'prohibit' | 'unknown';

export interface FibResult {
  ok: true;
  route: Route;
  /** Prefix length of the matching route. */
  len: number;
  /** The rule that led to the table (undefined when the host has no rules dump). */
  rule?: PolicyRule;
  /** Rules and tables passed over on the way, for evidence ("rule 100 lookup 100: no match"). */
  notes: Said[];
}

export interface FibFailure {
  ok: false;
  error: FibError;
  /** The route or rule that produced the error, when one did. */
  route?: Route;
  rule?: PolicyRule;
  notes: Said[];
  /** For 'unknown': what the model cannot evaluate. */
  unmodeled?: string[];
}

export type FibOutcome = FibResult | FibFailure;

/**
 * Does the rule select this flow? 'unknown' when its modelled selectors all match but it also has
 * selectors the model does not represent (ipproto, dport, uidrange, ...): the kernel ANDs them
 * (fib_rule_match), so they could still refuse it. When a modelled selector already fails, the
 * unmodelled ones cannot change the answer (nor can they under `not`, which inverts the AND).
 */
function ruleMatches(r: PolicyRule, k: FlowKey): boolean | 'unknown' {
  let m = true;
  // fib_rule_match(): iif/oif by device, fwmark under mask, then fib4_rule_match: src/dst prefix, tos.
  if (r.iif !== undefined && r.iif !== k.iif) m = false;
  else if (r.oif !== undefined && r.oif !== k.oif) m = false;
  else if (r.fwmark !== undefined && ((r.fwmark ^ k.mark) & (r.fwmask ?? 0xffffffff)) !== 0) m = false;
  else if (r.src !== undefined && !prefixHas(r.src, k.src)) m = false;
  else if (r.dst !== undefined && !prefixHas(r.dst, k.dst)) m = false;
  else if (r.tos !== undefined && r.tos !== 0 && r.tos !== k.tos) m = false;
  if (m && r.unmodeled !== undefined && r.unmodeled.length > 0) return 'unknown';
  return r.invert ? !m : m;
}

function prefixHas(cidr: string, ip: Ipv4): boolean {
  const c = parseCidr4(cidr);
  return c !== undefined && cidrContains(c, ip);
}

/** The kernel's default rules when a host dump has none (lookup local, main, default). */
const DEFAULT_RULES: PolicyRule[] = [
  { family: 'inet', priority: 0, invert: false, action: 'table', table: 255, raw: '0:\tfrom all lookup local' },
  { family: 'inet', priority: 32766, invert: false, action: 'table', table: 254, raw: '32766:\tfrom all lookup main' },
  {
    family: 'inet',
    priority: 32767,
    invert: false,
    action: 'table',
    table: 253,
    raw: '32767:\tfrom all lookup default',
  },
];

const ERROR_OF_TYPE: Partial<Record<Route['type'], FibError>> = {
  blackhole: 'blackhole',
  unreachable: 'unreachable',
  prohibit: 'prohibit',
};

type TableResult = { kind: 'route'; ir: IndexedRoute } | { kind: 'throw'; ir: IndexedRoute } | { kind: 'none' };

/** fib_table_lookup: longest prefix first; within a prefix TOS, then metric; skip routes not via `oif`. */
export function tableLookup(h: HostNet, table: number, k: FlowKey): TableResult {
  const t = h.tables.get(table);
  if (t === undefined) return { kind: 'none' };
  for (const len of t.lengths) {
    const net = (k.dst & maskOf(len)) >>> 0;
    const cands = t.byLength.get(len)?.get(net);
    if (cands === undefined) continue;
    for (const ir of cands) {
      const r = ir.route;
      if (r.tos !== 0 && r.tos !== k.tos) continue;
      if (k.oif !== undefined && !routeUsesDev(r, k.oif)) continue;
      if (r.type === 'throw') return { kind: 'throw', ir };
      return { kind: 'route', ir };
    }
  }
  return { kind: 'none' };
}

/** True when the route (any of its next hops) leaves through `dev` (fib_info_nh_uses_dev). */
export function routeUsesDev(r: Route, dev: string): boolean {
  if (r.dev === dev) return true;
  return r.nexthops.some((n) => n.dev === dev);
}

/** fib_lookup: walk the rules in priority order (goto, nop, suppress_prefixlength, throw). */
export function fibLookup(h: HostNet, k: FlowKey): FibOutcome {
  const rules = h.rules.length > 0 ? h.rules : DEFAULT_RULES;
  const notes: Said[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const matches = ruleMatches(rule, k);
    if (matches === 'unknown') return { ok: false, error: 'unknown', rule, notes, unmodeled: rule.unmodeled ?? [] };
    if (!matches) continue;
    switch (rule.action) {
      case 'nop':
        continue;
      case 'goto': {
        // The target is the rule whose priority equals the goto (fib_nl_newrule sets ctarget only
        // on an exact match); an unresolved goto is skipped.
        const target = rules.findIndex((r) => r.priority === rule.gotoPriority);
        if (target < 0 || target <= i) continue;
        i = target - 1;
        continue;
      }
      case 'blackhole':
        return { ok: false, error: 'blackhole', rule, notes };
      case 'unreachable':
        return { ok: false, error: 'unreachable', rule, notes };
      case 'prohibit':
        return { ok: false, error: 'prohibit', rule, notes };
      case 'table': {
        const table = rule.table ?? 254;
        const res = tableLookup(h, table, k);
        if (res.kind === 'none') {
          if (table !== 255) notes.push(said`${{ rule }}: no route in table ${tableName(table)}`);
          continue;
        }
        // A route with parts the model does not represent (nexthop object, lwtunnel encap, a TOS
        // name) must not be guessed through: the answer is unknown, quoting it.
        const unmodeled = res.ir.route.unmodeled;
        if (unmodeled !== undefined && unmodeled.length > 0)
          return { ok: false, error: 'unknown', route: res.ir.route, rule, notes, unmodeled };
        if (res.kind === 'throw') {
          notes.push(said`${{ rule }}: ${{ route: res.ir.route }} (throw: continue with the next rule)`);
          continue;
        }
        if (rule.suppressPrefixLength !== undefined && res.ir.len <= rule.suppressPrefixLength) {
          notes.push(said`${{ rule }}: ${res.ir.route.dst} suppressed (prefix length ≤ ${rule.suppressPrefixLength})`);
          continue;
        }
        const err = ERROR_OF_TYPE[res.ir.route.type];
        if (err !== undefined) return { ok: false, error: err, route: res.ir.route, rule, notes };
        return { ok: true, route: res.ir.route, len: res.ir.len, rule, notes };
      }
    }
  }
  return { ok: false, error: 'no-route', notes };
}

/**
 * ip_route_output_key for a flow bound to a device (`k.oif`): when the lookup restricted to that
 * device finds nothing — or ends in an error route, which fib_table_lookup returns before it
 * looks at next hops — the kernel does not fail but assumes the destination is on the link of
 * the device and picks the source as inet_select_addr(dev, 0, RT_SCOPE_LINK)
 * (net/ipv4/route.c ip_route_output_key_hash_rcu: "Apparently, routing tables are wrong. Assume,
 * that the destination is on link."). Measured in the lab (test/lab/tunnel-outer-rule.test.ts):
 * a VXLAN fdb entry `via eth1` toward a peer only routed out of eth0 leaves eth1 with eth1's
 * address. An unmodelled rule or route stays unknown.
 */
export function outputLookup(h: HostNet, k: FlowKey): FibOutcome {
  const r = fibLookup(h, k);
  if (r.ok || k.oif === undefined || r.error === 'unknown') return r;
  const dst = formatIpv4(k.dst);
  const route: Route = {
    family: 'inet',
    table: 254,
    type: 'unicast',
    dst: `${dst}/32`,
    tos: 0,
    dev: k.oif,
    onlink: false,
    metric: 0,
    protocol: 'kernel',
    scope: 'link',
    nexthops: [],
    raw: `${dst} dev ${k.oif} scope link (no route out of ${k.oif}: the kernel assumes ${dst} is on its link)`,
  };
  return { ok: true, route, len: 32, notes: [...r.notes, describeFibFailure(r, k.dst)] };
}

export function tableName(t: number): string {
  return t === 255 ? 'local' : t === 254 ? 'main' : t === 253 ? 'default' : String(t);
}

/** Scope numbers (include/uapi/linux/rtnetlink.h rt_scope_t). */
function scopeNum(s: string | undefined): number {
  switch (s) {
    case 'host':
      return 254;
    case 'link':
      return 253;
    case 'site':
      return 200;
    case 'nowhere':
      return 255;
    default:
      return 0; // universe / global
  }
}

/**
 * inet_select_addr(dev, dst, scope): the first primary address of `dev` whose scope fits, preferring
 * one in the same subnet as `dst`; failing that, the first primary non-link-scope address of any
 * device in ifindex order (lo first).
 */
export function selectAddress(h: HostNet, dev: string | undefined, dst: Ipv4, scope: number): Ipv4 | undefined {
  let chosen: Ipv4 | undefined;
  if (dev !== undefined) {
    for (const a of primaryAddresses(h, dev)) {
      // 127/8 is host scope only when route_localnet is off; treated as its declared scope here.
      if (scopeNum(a.address.scope) > scope) continue;
      if (dst === 0 || cidrContains({ net: a.net, len: a.len }, dst)) return a.local;
      if (chosen === undefined) chosen = a.local;
    }
    if (chosen !== undefined) return chosen;
  }
  for (const l of h.linkOrder) {
    for (const a of primaryAddresses(h, l.name)) {
      const s = scopeNum(a.address.scope);
      if (s !== 253 && s <= scope) return a.local;
    }
  }
  return undefined;
}

/** fib_result_prefsrc: the route's `src`, else inet_select_addr(dev, gateway, route scope). */
export function preferredSource(h: HostNet, r: Route): Ipv4 | undefined {
  if (r.prefsrc !== undefined) {
    const p = parseIpv4(r.prefsrc);
    if (p !== undefined) return p;
  }
  const nh = firstNextHop(r);
  return selectAddress(h, nh.dev, nh.gateway ?? 0, scopeNum(r.scope));
}

export interface NextHopChoice {
  dev?: string;
  gateway?: Ipv4;
  onlink: boolean;
}

/** Single next hop of a route; the first of a multipath route (callers branch over `nextHops`). */
export function firstNextHop(r: Route): NextHopChoice {
  return nextHops(r)[0] ?? { onlink: r.onlink };
}

export function nextHops(r: Route): NextHopChoice[] {
  if (r.nexthops.length > 0) {
    return r.nexthops.map((n) => {
      const c: NextHopChoice = { onlink: n.onlink };
      if (n.dev !== undefined) c.dev = n.dev;
      const g = n.gateway === undefined ? undefined : parseIpv4(n.gateway);
      if (g !== undefined) c.gateway = g;
      return c;
    });
  }
  const c: NextHopChoice = { onlink: r.onlink };
  if (r.dev !== undefined) c.dev = r.dev;
  const g = r.gateway === undefined ? undefined : parseIpv4(r.gateway);
  if (g !== undefined) c.gateway = g;
  return [c];
}

export function describeFibFailure(f: FibFailure, dst: Ipv4): Said {
  const what =
    f.route !== undefined
      ? said`route "${{ route: f.route }}"`
      : f.rule !== undefined
        ? said`rule "${{ rule: f.rule }}"`
        : 'no route in any table';
  switch (f.error) {
    case 'no-route':
      return `no route to ${formatIpv4(dst)} (network unreachable)`;
    case 'blackhole':
      return said`${what}: blackhole, silently discarded`;
    case 'unreachable':
      return said`${what}: unreachable (ICMP host unreachable)`;
    case 'prohibit':
      return said`${what}: prohibit (ICMP administratively prohibited)`;
    case 'unknown':
      return said`${what} decides, but it uses ${(f.unmodeled ?? []).join(', ') || 'attributes'} that netcheck does not model: cannot tell where ${formatIpv4(dst)} goes`;
  }
}
