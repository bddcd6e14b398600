// Typed values parsed from a host's raw sections. Every parsed item keeps `raw`: the text (or
// JSON) it came from, so that a finding can quote the evidence exactly.

import type { Provenance } from './provenance.ts';

/** What a parser returns: the values it could read, plus warnings for what it could not. */
export interface Parsed<T> {
  value: T;
  warnings: string[];
}

export type Family = 'inet' | 'inet6';

// ---------------------------------------------------------------- links (ip -d -j addr show)

export type LinkKind =
  | 'loopback'
  | 'ether' // plain NIC: no linkinfo
  | 'veth'
  | 'bridge'
  | 'vxlan'
  | 'ipip'
  | 'dummy'
  | 'other';

export interface VxlanInfo {
  vni: number;
  local?: string;
  remote?: string; // static default destination (`remote`), rare in CNIs
  group?: string;
  /** Underlay device the VXLAN socket is bound to (`dev`). */
  link?: string;
  port: number;
  learning: boolean;
  /** `external` (collect metadata, e.g. Cilium's cilium_vxlan): no fixed VNI, remotes come per packet. */
  external?: boolean;
}

export interface IpipInfo {
  local?: string; // "any" → undefined
  remote?: string;
  link?: string;
}

export interface Link {
  index: number;
  name: string;
  kind: LinkKind;
  /** ip's `info_kind` verbatim (e.g. "vxlan", "ipip", "veth"), for kinds we do not model. */
  infoKind?: string;
  /** Bridge (or bond/VRF) this device is enslaved to. */
  master?: string;
  mtu: number;
  /** Administratively up (flag UP) — what the kernel checks before it transmits. */
  up: boolean;
  operState: string;
  mac?: string;
  /** For veth: ifindex of the peer (`link_index`) and the peer's netns id when elsewhere. */
  peerIndex?: number;
  linkNetnsId?: number;
  vxlan?: VxlanInfo;
  ipip?: IpipInfo;
  raw: string;
  /** `info_slave_kind`: the kind of master this device is a port of ("bridge", "bond", "vrf"). */
  slaveKind?: string;
  /** A bridge port's flags (`info_slave_data`, ip/iplink_bridge_slave.c); absent when ip printed none. */
  bridgePort?: BridgePortInfo;
}

export interface BridgePortInfo {
  /** BR_HAIRPIN_MODE: the bridge may send a frame back out the port it came in on (br_forward.c should_deliver). */
  hairpin?: boolean;
}

export interface Address {
  dev: string;
  family: Family;
  local: string;
  prefixLen: number;
  /** Peer address of a point-to-point address (`peer`), rare. */
  peer?: string;
  broadcast?: string;
  scope: string; // global | link | host | site
  secondary: boolean;
  label?: string;
  raw: string;
}

// ---------------------------------------------------------------- routes (ip -d -j route show table all)

export type RouteType =
  | 'unicast'
  | 'local'
  | 'broadcast'
  | 'multicast'
  | 'anycast'
  | 'blackhole'
  | 'unreachable'
  | 'prohibit'
  | 'throw'
  | 'nat';

export interface NextHop {
  gateway?: string;
  dev?: string;
  /** Multipath weight (`weight`), 1 when absent. */
  weight: number;
  onlink: boolean;
}

export interface Route {
  family: Family;
  /** Routing table as a number (main = 254, local = 255, default = 253). */
  table: number;
  type: RouteType;
  /** Destination prefix, "0.0.0.0/0" for default. Always in CIDR form. */
  dst: string;
  /** TOS selector, rarely used; 0 when absent. */
  tos: number;
  /** Single-path next hop; for multipath routes, `nexthops` holds them all and this is empty. */
  gateway?: string;
  dev?: string;
  onlink: boolean;
  prefsrc?: string;
  metric: number;
  protocol: string; // kernel | boot | static | bird | ...
  scope: string; // universe(global) | link | host
  nexthops: NextHop[];
  /** Route MTU (`mtu` metric) when set. */
  mtu?: number;
  raw: string;
  /** The table's name as printed ("main", "calico"); see src/model/parse/route-table.ts for ids of custom names. */
  tableName?: string;
  /** Route flags as printed: "onlink", "linkdown", "dead", ... */
  flags?: string[];
  /** Parts of the route the model does not represent (nexthop object, lwtunnel encap, ...): the engine must answer unknown. */
  unmodeled?: string[];
}

// ---------------------------------------------------------------- policy rules (ip -j rule show)

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface PolicyRule {
  family: Family;
  priority: number;
  /** `not` inverts the selector. */
  invert: boolean;
  src?: string; // CIDR; absent = all
  dst?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  tos?: number;
  action: RuleAction;
  /** Target table for action `table`. */
  table?: number;
  /** Target priority for action `goto`. */
  gotoPriority?: number;
  /** `suppress_prefixlength N`: reject table results with prefix length ≤ N. */
  suppressPrefixLength?: number;
  raw: string;
  /** The target table's name as printed, when it was a name. */
  tableName?: string;
  /** Selectors the model does not represent (ipproto, sport, dport, uidrange, l3mdev, realms, ...): the engine must answer unknown when it reaches this rule. */
  unmodeled?: string[];
}

// ---------------------------------------------------------------- neighbours, fdb

export interface Neighbor {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[]; // REACHABLE, PERMANENT, FAILED, ...
  raw: string;
}

export interface FdbEntry {
  mac: string;
  dev: string;
  /** Remote VTEP for VXLAN entries. */
  dst?: string;
  /**
   * Underlay device the entry is bound to (`via`, JSON "viaIf"): the outer packet's route lookup
   * is restricted to it. The default entry of a device created with `dev` carries it.
   */
  via?: string;
  vni?: number;
  master?: string;
  self: boolean;
  state: string;
  raw: string;
}

// ---------------------------------------------------------------- sysctls

/** `sysctl -a` as key → value (keys with dots, e.g. net.ipv4.conf.all.rp_filter). */
export type Sysctls = Map<string, string>;

// ---------------------------------------------------------------- conntrack -S

/** The kernel's conntrack statistics of the node's network namespace (`conntrack -S`). */
export interface ConntrackStats {
  /** One entry per CPU line, with its counters and the line as printed. */
  cpus: { cpu: number; counters: ReadonlyMap<string, number>; raw: string }[];
  /** Each counter summed over the CPUs (found, insert, insert_failed, drop, early_drop, ...). */
  totals: Map<string, number>;
}

// ---------------------------------------------------------------- iptables-save

export type IptablesBackend = 'nft' | 'legacy';

/** One option of a match or target: `--dport 80`, `! --dst-type LOCAL`, `--mark 0x4000/0x4000`. */
export interface IptOption {
  /** Option name without dashes: `s`, `d`, `i`, `o`, `p`, `dport`, `match-set`, `to-destination`. */
  name: string;
  negated: boolean;
  args: string[];
}

/** A match: `module` is null for the core matches (-s -d -i -o -p -f), else the -m name. */
export interface IptMatch {
  module: string | null;
  options: IptOption[];
}

export interface IptTarget {
  /** ACCEPT, DROP, DNAT, ... or a user chain name. */
  name: string;
  options: IptOption[];
}

export interface IptRule {
  table: string;
  chain: string;
  /** 1-based position within the chain, as `iptables -L --line-numbers` counts. */
  position: number;
  matches: IptMatch[];
  /** null for a rule with no -j/-g (it only counts packets). */
  target: IptTarget | null;
  /** true for -g (goto): RETURN from the target returns past this chain. */
  goto: boolean;
  /** Absent on a rule shared between hosts (a v2 snapshot's): ask its host's ruleset (ruleSaid). */
  counters?: { packets: number; bytes: number };
  /**
   * The line exactly as iptables-save printed it; for a rule shared between hosts, without the
   * counters `-c` printed in front (each host's are in its ruleset: ruleSaid).
   */
  raw: string;
  /** 1-based line number in the section, for evidence; absent on a rule shared between hosts. */
  line?: number;
}

export interface IptChain {
  name: string;
  /** Built-in chains have a policy (ACCEPT or DROP); user chains have none. */
  policy: string | null;
  rules: IptRule[];
  /** The `:NAME POLICY [p:b]` header line. */
  raw: string;
}

export interface IptTable {
  name: string; // raw, mangle, nat, filter, security
  chains: Map<string, IptChain>;
}

export interface IptRuleset {
  backend: IptablesBackend;
  tables: Map<string, IptTable>;
  /**
   * How this host printed `rule` (with its own counters), for rulesets whose rules are shared
   * between hosts (model/parse/iptables-shared.ts); undefined for a rule not in this ruleset.
   * Read it through ruleSaid.
   */
  said?: (rule: IptRule) => IptRuleSaid | undefined;
}

/** A rule as one host's iptables-save -c printed it. */
export interface IptRuleSaid {
  raw: string;
  counters?: { packets: number; bytes: number };
}

// ---------------------------------------------------------------- IPVS (ipvsadm -S -n)

export interface IpvsRealServer {
  address: string;
  port: number;
  method: 'masq' | 'gate' | 'ipip';
  weight: number;
  raw: string;
}

export interface IpvsService {
  protocol: 'tcp' | 'udp' | 'sctp' | 'fwmark';
  address: string; // VIP, or the fwmark number for fwmark services
  port: number;
  scheduler: string;
  persistent: boolean;
  /** `-p TIMEOUT`: persistence (session affinity) timeout in seconds, when persistent. */
  persistenceTimeout?: number;
  realServers: IpvsRealServer[];
  raw: string;
}

// ---------------------------------------------------------------- xt_recent lists

/** One address of an xt_recent list (xt_recent.c recent_seq_show). */
export interface XtRecentEntry {
  /** The address as stored: already ANDed with the list's mask. IPv4 only (IPv6 entries are skipped). */
  addr: string;
  ttl: number;
  /** Jiffies of the times it was seen (at most ip_pkt_list_tot, 20 by default). */
  stamps: number[];
}

export interface XtRecentState {
  /** The kernel's jiffies counter read next to the lists; undefined when /proc/timer_list was unreadable. */
  jiffies?: number;
  /** Every list of the host's network namespace, by name (a list with no entries is present and empty). */
  lists: Map<string, XtRecentEntry[]>;
}

// ---------------------------------------------------------------- ipset save

export interface IpSet {
  name: string;
  type: string; // hash:ip, hash:net, hash:ip,port, bitmap:port, list:set, ...
  options: string[];
  /** Every `add` member as printed, nomatch ones included: see `entries` for per-member options. */
  members: string[];
  /** The `add` lines with their options (`nomatch`, `timeout`, `comment`), in order. */
  entries?: IpSetEntry[];
  raw: string;
}

/** One `add NAME MEMBER [options]` line of `ipset save`. */
export interface IpSetEntry {
  member: string;
  /** Options after the member, e.g. ["timeout", "600"], ["nomatch"], ["comment", "x y"]. */
  options: string[];
  /**
   * `nomatch` (hash:net* types): the element is an exception carved out of wider elements;
   * a test that hits it as the most specific element is a non-match (ipset(8), "nomatch").
   */
  nomatch: boolean;
  raw: string;
  line: number;
}

// ---------------------------------------------------------------- CNI files

export interface CniPlugin {
  type: string;
  /** ipam.subnet / ipam.ranges[][].subnet / host-local ranges, flattened. */
  ipamSubnets: string[];
  ipamType?: string;
  /** The plugin object as JSON, for anything more specific a check needs. */
  config: Record<string, unknown>;
}

export interface CniConfig {
  path: string;
  name?: string;
  cniVersion?: string;
  plugins: CniPlugin[];
  raw: string;
}

/** /run/flannel/subnet.env */
export interface FlannelSubnetEnv {
  network?: string; // FLANNEL_NETWORK
  subnet?: string; // FLANNEL_SUBNET (address/len of the node's cni0)
  mtu?: number;
  ipMasq?: boolean;
  raw: string;
  vars: Record<string, string>;
}

// ---------------------------------------------------------------- a host, parsed

export interface HostState {
  name: string;
  links: Link[];
  addresses: Address[];
  routes: Route[];
  rules: PolicyRule[];
  neighbors: Neighbor[];
  fdb: FdbEntry[];
  sysctls: Sysctls;
  /** `conntrack -S`; absent when the section is (model/provenance.ts says why). */
  conntrackStats?: ConntrackStats;
  /** The rulesets of both backends that held anything; usually exactly one. */
  iptables: IptRuleset[];
  ipvs: IpvsService[];
  ipsets: IpSet[];
  cni: CniConfig[];
  flannel?: FlannelSubnetEnv;
  /** `nft -j list ruleset`: every table, including those iptables-nft made. */
  nft?: NftRuleset;
  /** The kernel's `-m recent` lists (/proc/net/xt_recent), when the probe read them. */
  xtRecent?: XtRecentState;
  /** Sections the probe could not collect (tool missing, file absent): name → error. */
  missing: Record<string, string>;
  /**
   * Per section: collected, partial, unparseable, failed or (by omission) absent. An empty list
   * above means "none" only where its section is usable (model/provenance.ts).
   */
  provenance: Provenance;
  /** Parser warnings, prefixed with the section name. */
  warnings: string[];
}

// ---------------------------------------------------------------- nftables (nft -j list ruleset)

/** nftables address families (nft(8) "ADDRESS FAMILIES"). */
export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export interface NftRule {
  family: NftFamily;
  table: string;
  chain: string;
  handle?: number;
  /** 1-based position within its chain, in the order nft listed the rules. */
  position: number;
  comment?: string;
  /** The rule's statements exactly as `nft -j` gave them (libnftables JSON schema). */
  expr: unknown[];
  /** One line in `nft -a list ruleset` style, for evidence (our rendering of `expr`). */
  text: string;
  /** The rule object as JSON text. */
  raw: string;
}

export interface NftChain {
  family: NftFamily;
  table: string;
  name: string;
  handle?: number;
  /** Base chains only: filter | nat | route. */
  type?: string;
  /** Base chains only: prerouting | input | forward | output | postrouting | ingress | egress. */
  hook?: string;
  /** Base chains only: priority as a number (nft -j prints the number, e.g. -100 for dstnat). */
  prio?: number;
  /** Base chains only: accept | drop. */
  policy?: string;
  /** netdev/inet ingress chains: the device(s) they are bound to. */
  devices?: string[];
  rules: NftRule[];
  raw: string;
}

/** A named set or map (`map` set for maps and verdict maps). */
export interface NftSet {
  family: NftFamily;
  table: string;
  name: string;
  kind: 'set' | 'map';
  handle?: number;
  /** Key type: "ipv4_addr", or the parts of a concatenation ["ipv4_addr", "inet_proto", "inet_service"]. */
  type: string | string[];
  /** Maps only: data type, e.g. "verdict" or "ipv4_addr". */
  map?: string | string[];
  flags: string[];
  /** Elements exactly as `nft -j` gave them. */
  elements: unknown[];
  timeout?: number;
  comment?: string;
  raw: string;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  handle?: number;
  flags: string[];
  comment?: string;
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
}

export interface NftRuleset {
  /** `nft` version from metainfo, when present. */
  version?: string;
  tables: NftTable[];
}
