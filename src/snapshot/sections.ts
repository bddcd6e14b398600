// The snapshot's host sections: each section's name, the read-only command (or file) whose output
// it holds, and why the analysis needs it. This is the contract between collection (which runs
// the commands, src/collect/) and analysis (which parses the sections, src/model/): the single
// place that says what is collected; docs/snapshot.md explains each section. Every command only
// prints: nothing here changes the node.

export interface ProbeCommand {
  /** Stable section name in the snapshot (docs/snapshot.md). */
  section: string;
  argv: readonly string[];
  /** Why the analysis needs it (shown by `collect --dry-run` and in docs). */
  why: string;
}

export const PROBE_COMMANDS: readonly ProbeCommand[] = [
  {
    section: 'ip-addr',
    argv: ['ip', '-d', '-j', 'addr', 'show'],
    why: 'links with their kind (veth, bridge, vxlan, ipip), master, MTU, state, and their addresses',
  },
  {
    section: 'ip-route',
    argv: ['ip', '-d', '-j', 'route', 'show', 'table', 'all'],
    why: 'every routing table, including local and policy tables',
  },
  { section: 'ip-rule', argv: ['ip', '-j', 'rule', 'show'], why: 'policy routing rules, in priority order' },
  { section: 'ip-neigh', argv: ['ip', '-j', 'neigh', 'show'], why: 'ARP entries: VXLAN VTEP MACs, LAN peers' },
  { section: 'bridge-fdb', argv: ['bridge', '-j', 'fdb', 'show'], why: 'VXLAN forwarding entries (MAC → remote VTEP)' },
  {
    section: 'sysctl',
    argv: ['sysctl', '-a', '--pattern', '^net\\.(ipv4|bridge)\\.|^net\\.netfilter\\.nf_conntrack_(count|max)$'],
    why: 'rp_filter, ip_forward, per-device forwarding, br_netfilter switches, conntrack table size and use',
  },
  {
    section: 'conntrack-stats',
    // The kernel's own table where the image has no conntrack(8): the same per-CPU counters.
    argv: ['sh', '-c', 'conntrack -S 2>/dev/null || cat /proc/net/stat/nf_conntrack'],
    why: 'conntrack counters: insert_failed and drop (the DNS 5-second race), early_drop (a full table); `conntrack -S`, or /proc/net/stat/nf_conntrack without it',
  },
  {
    section: 'iptables-nft-save',
    argv: ['iptables-nft-save', '-c'],
    why: 'netfilter rules written through the nf_tables backend, with counters',
  },
  {
    section: 'iptables-legacy-save',
    argv: ['iptables-legacy-save', '-c'],
    why: 'netfilter rules written through the legacy backend, with counters',
  },
  { section: 'ipvsadm', argv: ['ipvsadm', '-S', '-n'], why: 'kube-proxy IPVS virtual services and real servers' },
  { section: 'ipset', argv: ['ipset', 'save'], why: 'sets that iptables rules match (Calico, kube-proxy IPVS)' },
  {
    section: 'xt-recent',
    // /proc/net/xt_recent is per network namespace: the command runs in the node's (nsenter -n).
    argv: [
      'sh',
      '-c',
      'grep -m1 "^jiffies:" /proc/timer_list 2>/dev/null; d=/proc/net/xt_recent; [ -d "$d" ] || exit 0; for f in "$d"/*; do [ -f "$f" ] || continue; echo "list ${f##*/}"; cat "$f" || exit 1; done',
    ],
    why: '-m recent lists (kube-proxy sessionAffinity: which clients are pinned to which endpoint) and the jiffies they are timed in',
  },
  {
    section: 'nft',
    argv: ['nft', '-j', 'list', 'ruleset'],
    why: 'native nftables rules (kube-proxy nftables mode, Cilium, firewalld)',
  },
];

/** Directories whose files are read into `file:<path>` sections. */
/** CNI's default configuration directory (libcni DefaultNetDir; kubelet's --cni-conf-dir before 1.24). */
export const CNI_CONF_DIR = '/etc/cni/net.d';
/**
 * k3s's: its embedded containerd is configured with this conf_dir (k3s pkg/agent/config:
 * CNIConfDir = <data-dir>/agent/etc/cni/net.d, data-dir /var/lib/rancher/k3s), and its built-in
 * flannel writes 10-flannel.conflist there. /etc/cni/net.d is not read by k3s's runtime.
 */
export const K3S_CNI_CONF_DIR = '/var/lib/rancher/k3s/agent/etc/cni/net.d';

const CNI_SUFFIXES = ['.conf', '.conflist', '.json'];

export const PROBE_DIRECTORIES: readonly { dir: string; suffixes: readonly string[]; why: string }[] = [
  { dir: CNI_CONF_DIR, suffixes: CNI_SUFFIXES, why: 'CNI configuration: plugin chain and IPAM subnet' },
  { dir: K3S_CNI_CONF_DIR, suffixes: CNI_SUFFIXES, why: "k3s's CNI configuration (its containerd's conf_dir)" },
];

/** Single files read into `file:<path>` sections when present. */
export const PROBE_FILES: readonly { path: string; why: string }[] = [
  {
    path: '/run/flannel/subnet.env',
    why: "flannel (also k3s's built-in flannel): the subnet this node was leased, its MTU and ipMasq",
  },
];

export const FILE_SECTION_PREFIX = 'file:';

export function fileSection(path: string): string {
  return FILE_SECTION_PREFIX + path;
}

/** The section prefixes of the CNI configuration files, in either conf dir (a need ending in "/"). */
export const CNI_DIR_SECTIONS: readonly string[] = [CNI_CONF_DIR, K3S_CNI_CONF_DIR].map((d) => fileSection(`${d}/`));

/** Largest file the probe reads; CNI configs are a few KiB. */
export const MAX_PROBE_FILE_BYTES = 1 << 20;
