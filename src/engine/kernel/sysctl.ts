// What the IPv4 per-device sysctls mean to the kernel. Every reading of net.ipv4.conf.* in the
// engine goes through here, so the rules live in one place.
// Source: include/linux/inetdevice.h (IN_DEV_* macros), Documentation/networking/ip-sysctl.rst.
import type { Sysctls } from '../../model/types.ts';

function num(s: Sysctls, key: string): number | undefined {
  const v = s.get(key);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The sysctl key of a per-device setting as `sysctl -a` prints it: procps writes a dot inside a
 * device name as '/' (vxlan.calico → net.ipv4.conf.vxlan/calico.rp_filter), the spelling the
 * snapshot holds (src/model/parse/sysctl.ts).
 */
export function confKey(dev: string, key: string): string {
  return `net.ipv4.conf.${dev.replaceAll('.', '/')}.${key}`;
}

/** conf.<dev>.<key>, falling back to conf.default.<key> (what a new device inherits), then `dflt`. */
function devValue(s: Sysctls, dev: string, key: string, dflt: number): number {
  return num(s, confKey(dev, key)) ?? num(s, `net.ipv4.conf.default.${key}`) ?? dflt;
}

function allValue(s: Sysctls, key: string, dflt: number): number {
  return num(s, `net.ipv4.conf.all.${key}`) ?? dflt;
}

export interface SysctlEvidence {
  /** The effective value the kernel uses. */
  value: number;
  /** The `key = value` lines that decide it. */
  lines: string[];
}

function line(s: Sysctls, key: string): string {
  const v = s.get(key);
  return v === undefined ? `${key} (not collected)` : `${key} = ${v}`;
}

/**
 * Reverse-path filter mode for packets received on `dev`: IN_DEV_RPFILTER is
 * IN_DEV_MAXCONF(idev, RP_FILTER) = max(conf.all.rp_filter, conf.<dev>.rp_filter).
 * 0 = off, 1 = strict, 2 = loose.
 */
export function rpFilter(s: Sysctls, dev: string): SysctlEvidence {
  const all = allValue(s, 'rp_filter', 0);
  const d = devValue(s, dev, 'rp_filter', 0);
  return {
    value: Math.max(all, d),
    lines: [line(s, 'net.ipv4.conf.all.rp_filter'), line(s, confKey(dev, 'rp_filter'))],
  };
}

/**
 * Forwarding on the *input* device: IN_DEV_FORWARD(in_dev) = IN_DEV_CONF_GET(in_dev, FORWARDING).
 * Writing net.ipv4.ip_forward (= conf.all.forwarding) copies the value to every device
 * (net/ipv4/devinet.c devinet_sysctl_forward → inet_forward_change), so the per-device value is
 * the one that counts; ip_forward is the fallback when the device's key was not collected.
 */
export function forwarding(s: Sysctls, dev: string): SysctlEvidence {
  const own = num(s, confKey(dev, 'forwarding'));
  const global = num(s, 'net.ipv4.ip_forward') ?? num(s, 'net.ipv4.conf.all.forwarding') ?? 0;
  return {
    value: own ?? global,
    lines:
      own !== undefined
        ? [line(s, confKey(dev, 'forwarding')), line(s, 'net.ipv4.ip_forward')]
        : [line(s, 'net.ipv4.ip_forward')],
  };
}

/** IN_DEV_PROXY_ARP = IN_DEV_ORCONF(PROXY_ARP): all || dev. */
export function proxyArp(s: Sysctls, dev: string): boolean {
  return allValue(s, 'proxy_arp', 0) !== 0 || devValue(s, dev, 'proxy_arp', 0) !== 0;
}

/** IN_DEV_ACCEPT_LOCAL = IN_DEV_ORCONF(ACCEPT_LOCAL): accept packets whose source is a local address. */
export function acceptLocal(s: Sysctls, dev: string): boolean {
  return allValue(s, 'accept_local', 0) !== 0 || devValue(s, dev, 'accept_local', 0) !== 0;
}

/** IN_DEV_SRC_VMARK = IN_DEV_ORCONF(SRC_VMARK): the reverse-path lookup uses the packet's fwmark. */
export function srcValidMark(s: Sysctls, dev: string): boolean {
  return allValue(s, 'src_valid_mark', 0) !== 0 || devValue(s, dev, 'src_valid_mark', 0) !== 0;
}

/** IN_DEV_ROUTE_LOCALNET = IN_DEV_ORCONF(ROUTE_LOCALNET): 127/8 is routable on this device. */
export function routeLocalnet(s: Sysctls, dev: string): boolean {
  return allValue(s, 'route_localnet', 0) !== 0 || devValue(s, dev, 'route_localnet', 0) !== 0;
}

/**
 * br_netfilter: bridged IPv4 frames traverse iptables only when the module is loaded (the key
 * exists) and net.bridge.bridge-nf-call-iptables = 1.
 */
export function bridgeCallsIptables(s: Sysctls): SysctlEvidence {
  const v = num(s, 'net.bridge.bridge-nf-call-iptables');
  return {
    value: v ?? 0,
    lines: [
      v === undefined
        ? 'net.bridge.bridge-nf-call-iptables absent (br_netfilter not loaded)'
        : line(s, 'net.bridge.bridge-nf-call-iptables'),
    ],
  };
}
