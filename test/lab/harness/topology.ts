// The declarative lab topology: hosts (each one network namespace) and veth links between them.
// Values are the arguments the real tools take (`ip route add …`, `ip rule add …`,
// iptables-restore input), so a topology reads like the commands a CNI or an admin would run.

/** One end of a veth pair. */
export interface LinkEnd {
  host: string;
  /** Device name inside the host's namespace (at most 15 characters, IFNAMSIZ - 1). */
  dev: string;
  /** Addresses in CIDR form, added with `ip addr add CIDR dev DEV`. */
  addr?: string | readonly string[];
  /** MAC address; the kernel picks a random one when absent. */
  mac?: string;
  /** Bridge on the same host that this end is a port of (`ip link set DEV master BR`). */
  master?: string;
  /** MTU of this end; overrides LinkSpec.mtu. */
  mtu?: number;
}

/** A veth pair between two hosts (or two devices of one host). */
export interface LinkSpec {
  a: LinkEnd;
  b: LinkEnd;
  /** MTU of both ends (kernel default 1500). */
  mtu?: number;
}

/** A Linux bridge (flannel's cni0, docker0, a LAN switch). STP stays off, so ports forward at once. */
export interface BridgeSpec {
  kind: 'bridge';
  name: string;
  mac?: string;
  mtu?: number;
}

/** A VXLAN device as flannel creates it (`ip link add flannel.1 type vxlan id 1 local IP dev eth0 dstport 8472 nolearning`). */
export interface VxlanSpec {
  kind: 'vxlan';
  name: string;
  vni: number;
  /** Outer source address. */
  local?: string;
  /** Underlay device. */
  dev?: string;
  /** UDP port; flannel's default is 8472 (the Linux kernel's historical default). */
  dstport?: number;
  /** MAC learning; flannel turns it off and programs neighbours and fdb entries itself. */
  learning?: boolean;
  mac?: string;
  mtu?: number;
}

export type DeviceSpec = BridgeSpec | VxlanSpec;

export interface HostSpec {
  /** Letters, digits, `_` and `-`; the namespace is named PREFIX + name. */
  name: string;
  /** net.ipv4.ip_forward (which also sets conf.all/default.forwarding). Written on every host: default false. */
  forwarding?: boolean;
  /**
   * sysctl keys (dot form, `net.ipv4.conf.eth0.rp_filter`) → values. Keys naming a device are written
   * after the devices exist; the others right after the namespace is created, before any device, so
   * that `conf.default.*` reaches devices created later as it does on a booted host.
   */
  sysctls?: Record<string, string>;
  devices?: readonly DeviceSpec[];
  /** `ip addr add` arguments, e.g. '10.244.1.1/24 dev cni0'. */
  addresses?: readonly string[];
  /** `ip route add` arguments, e.g. '10.244.1.0/24 via 192.168.0.12 dev eth0 onlink', 'blackhole 10.1.0.0/24'. */
  routes?: readonly string[];
  /** `ip rule add` arguments, e.g. 'from 10.244.0.0/16 lookup 100 priority 100'. */
  rules?: readonly string[];
  /** `ip neigh replace` arguments, e.g. '10.244.1.0 lladdr 0a:58:0a:f4:01:00 dev flannel.1 nud permanent'. */
  neighbors?: readonly string[];
  /** `bridge fdb append` arguments, e.g. '0a:58:0a:f4:01:00 dev flannel.1 dst 192.168.0.12'. */
  fdb?: readonly string[];
  /** `ipset restore` input. */
  ipsets?: string;
  /** `iptables-nft-restore` input (the nf_tables backend). */
  iptables?: string;
  /** `iptables-legacy-restore` input. */
  iptablesLegacy?: string;
  /**
   * Files by absolute path (e.g. '/etc/cni/net.d/10-calico.conflist', '/run/flannel/subnet.env') → content.
   * Written under the host's own directory (RunningLab.root(host)), never to the real path.
   */
  files?: Record<string, string>;
  /** Commands (argv) run last in the namespace, in order: an escape hatch for state nothing above covers. */
  commands?: readonly (readonly string[])[];
}

/** A whole lab. */
export interface Lab {
  hosts: readonly HostSpec[];
  links: readonly LinkSpec[];
}
