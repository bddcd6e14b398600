// The interface between the packet walk (src/engine) and the netfilter evaluator
// (src/engine/netfilter). The walk decides *when* a hook runs and with which devices; the
// evaluator runs the tables of that hook over the host's parsed rulesets and says what they do.
import type { Ipv4 } from '../../lib/ipv4.ts';
import type { IpSet, IptRule, IptRuleset, NftRule, NftRuleset, XtRecentState } from '../../model/types.ts';
import type { Packet } from '../packet.ts';

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Conntrack state as `-m conntrack --ctstate` / `-m state --state` sees it. */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

export interface ConntrackView {
  state: CtState;
  /** ORIGINAL for the packet that created the entry and its direction; REPLY for the answers. */
  direction: 'ORIGINAL' | 'REPLY';
  /** Translations already recorded in the entry (`--ctstatus DNAT,SNAT`). */
  dnat: boolean;
  snat: boolean;
  /** Original tuple, for `--ctorigdst`, `--ctorigsrc`, `--ctorigdstport`. */
  origSrc: Ipv4;
  origDst: Ipv4;
  origDport: number;
  /**
   * xt_recent entries this connection's own packets added on this host so far (`-m recent
   * --set`), keyed by recentKey(list, address): how many times. The lists themselves are not in
   * a snapshot; everything else in them is unknown (matches/recent.ts says how that is decided).
   */
  recent?: ReadonlyMap<string, number>;
}

/** Set when the packet crosses a Linux bridge and br_netfilter hands it to iptables. */
export interface PhysdevView {
  /** Bridge port the packet came in on (undefined when it did not enter through a bridge port). */
  in?: string;
  /** Bridge port it leaves through (known only in FORWARD/POSTROUTING of a bridged packet). */
  out?: string;
  /** True when the packet is bridged (not routed) — `--physdev-is-bridged`. */
  bridged: boolean;
}

export interface HookInput {
  hook: Hook;
  packet: Packet;
  /** Input device (PREROUTING, INPUT, FORWARD); undefined for locally generated packets. */
  inIface?: string;
  /** Output device (FORWARD, OUTPUT, POSTROUTING). */
  outIface?: string;
  /** The next hop the routing decision chose (for MASQUERADE's source selection). */
  nextHop?: Ipv4;
  ct: ConntrackView;
  physdev?: PhysdevView;
}

/** Address types as the `addrtype` match and the kernel's inet_addr_type() report them. */
export type AddrType =
  | 'UNSPEC'
  | 'UNICAST'
  | 'LOCAL'
  | 'BROADCAST'
  | 'ANYCAST'
  | 'MULTICAST'
  | 'BLACKHOLE'
  | 'UNREACHABLE'
  | 'PROHIBIT'
  | 'THROW'
  | 'NAT'
  | 'XRESOLVE';

/** Facts about the host that matches and targets consult. The engine implements it from the Model. */
export interface NetfilterEnv {
  /** Type of `addr` from the local routing table's point of view; `limitIface` for `--limit-iface-in/out`. */
  addrType(addr: Ipv4, limitIface?: string): AddrType;
  /** The parsed ipset of that name, or undefined if the host has none (the rule then cannot match: the kernel refuses to load it). */
  ipset(name: string): IpSet | undefined;
  /**
   * Source address MASQUERADE picks: the kernel's inet_select_addr(out, nexthop, RT_SCOPE_UNIVERSE)
   * — the primary address of `outIface` in the same subnet as the next hop, else its first primary.
   */
  masqueradeSource(outIface: string, nextHop: Ipv4 | undefined): Ipv4 | undefined;
  /** Primary address of the input device, for REDIRECT in PREROUTING. */
  primaryAddress(iface: string): Ipv4 | undefined;
  /**
   * `-m rpfilter`: does a reverse route lookup (source as destination, `iface` as input) pass?
   * `loose`: any route will do; otherwise it must leave through `iface`.
   */
  rpfilterPasses(
    packet: Packet,
    iface: string | undefined,
    opts: { loose: boolean; validmark: boolean; acceptLocal: boolean },
  ): boolean;
  /** The kernel's `-m recent` lists at collection; undefined when they were not collected. */
  recent?: XtRecentState;
  /**
   * A route lookup as nft's `fib ... oif` makes it: the device the route for `dst` leaves by, or
   * `via` when given and the route uses it; '' when there is no usable route; unknown when the
   * lookup reaches a rule or route the model does not represent.
   */
  fibOif(q: FibOifQuery): string | { unknown: string };
}

/** nft_fib4_eval's lookup (net/ipv4/netfilter/nft_fib_ipv4.c). */
export interface FibOifQuery {
  dst: Ipv4;
  src: Ipv4;
  /** flowi4_iif: `lo` unless the hook and flags say otherwise. */
  iif: string;
  mark: number;
  /** The device the result must use (the `iif`/`oif` flag), or undefined for the route's own. */
  via?: string;
}

export type NfVerdict = 'accept' | 'drop' | 'reject' | 'unknown';

/** Who wrote the rules: iptables (nf_tables or legacy backend), or native nftables (`nft`). */
export type NfBackend = IptRuleset['backend'] | 'nftables';

/** A rule the walk went through: an iptables rule, or a native nftables rule. */
export type NfRule = IptRule | NftRule;

/** One rule (or a chain policy) that applied: the evidence of the walk. */
export interface NfStep {
  backend: NfBackend;
  /** Native nftables only: the table's family (ip, inet), for `nft delete rule <family> <table> ...`. */
  family?: string;
  table: string;
  chain: string;
  /** The rule that matched; null when a built-in (or base) chain's policy applied. */
  rule: NfRule | null;
  /** What it did: "jump KUBE-SERVICES", "DNAT to 10.0.1.5:8080", "policy DROP", "RETURN". */
  action: string;
  /** Raw line quoted as evidence: the rule's line or the chain header for a policy. */
  raw: string;
}

/** Address translation decided in this hook. The evaluator applies it to `packet` too. */
export interface NatDecision {
  kind: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  addr: Ipv4;
  port?: number;
  step: NfStep;
}

/** One possible result of running a hook. `-m statistic` makes several (one per branch). */
export interface NfOutcome {
  verdict: NfVerdict;
  /** The packet after MARK/CONNMARK/NAT of this hook. */
  packet: Packet;
  nat?: NatDecision;
  /** The conntrack entry after this hook (e.g. NOTRACK in raw makes it UNTRACKED). */
  ct: ConntrackView;
  /** Every rule that matched, in order, and the one that decided. */
  steps: NfStep[];
  /** Set when verdict is 'unknown': the rule we could not evaluate and why. */
  unknown?: { rule: NfRule; reason: string };
  /** For verdict 'reject': --reject-with value (icmp-port-unreachable by default). */
  rejectWith?: string;
  /** Conditions that lead to this branch, e.g. "statistic --probability 0.33333 matched (KUBE-SVC-X rule 1)". */
  branch: string[];
}

/**
 * Runs one hook: the iptables tables of `rulesets` and, when `nft` is given, the native nftables
 * base chains on that hook, interleaved by priority.
 */
export type EvaluateHook = (
  rulesets: readonly IptRuleset[],
  input: HookInput,
  env: NetfilterEnv,
  nft?: NftRuleset,
) => NfOutcome[];
