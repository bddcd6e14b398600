// Turns a topology into the commands that build it, grouped by setup step. Pure: the runner
// (setup.ts) decides processes and parallelism; this module decides order and syntax.
import type { DeviceSpec, HostSpec, Lab, LinkEnd } from './topology.ts';

/**
 * Written on every host before anything else, so that results do not depend on the machine:
 * IPv4 `conf.all`/`conf.default` of a new namespace are copied from the root namespace
 * (net.core.devconf_inherit_init_net = 0, Documentation/networking/ip-sysctl.rst), which
 * distributions set differently (systemd's 50-default.conf sets rp_filter = 2).
 * - rp_filter 0: the kernel's compiled-in default; topologies that test rp_filter set it.
 * - send_redirects 0: a router forwarding back out of the interface a packet came in on would
 *   send an ICMP redirect, and the sender's kernel would cache a next-hop exception that changes
 *   the path of later packets; lab results must not depend on the order of sends.
 */
export const BASELINE_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  'net.ipv4.conf.all.send_redirects': '0',
  'net.ipv4.conf.default.send_redirects': '0',
};

export interface Sysctl {
  /** The key as sysctl(8) takes it: dot form, or slash form when the device name has a dot. */
  key: string;
  value: string;
}

export interface HostPlan {
  host: string;
  /** Before any device exists: baseline, ip_forward and every key that names no device. */
  earlySysctls: Sysctl[];
  /** `ip -batch` lines: lo up, bridges and VXLAN devices, bridge ports, addresses, links up. */
  devices: string[];
  /** Keys naming a device (`net.ipv4.conf.eth0.rp_filter`), written once devices exist. */
  deviceSysctls: Sysctl[];
  /** `ip -batch` lines: routes, rules, neighbours. */
  routing: string[];
  /** `bridge -batch` lines. */
  fdb: string[];
  ipsets?: string;
  iptables?: string;
  iptablesLegacy?: string;
  files: Record<string, string>;
  commands: (readonly string[])[];
}

export interface LabPlan {
  /** `ip -batch` lines run in the root namespace; each creates a veth pair directly inside two namespaces. */
  links: string[];
  hosts: HostPlan[];
}

/** Device named by a per-device sysctl key, in dot (`net.ipv4.conf.eth0.rp_filter`) or slash form. */
export function sysctlDevice(key: string): string | undefined {
  const parts = key.includes('/') ? key.split('/') : undefined;
  let dev: string | undefined;
  if (parts !== undefined) {
    if (parts.length === 5 && parts[0] === 'net' && (parts[2] === 'conf' || parts[2] === 'neigh')) dev = parts[3];
  } else {
    // The leaf (rp_filter, proxy_arp, …) never has a dot, so everything between the table and the
    // leaf is the device name, dots included (flannel.1).
    const m = /^net\.ipv[46]\.(?:conf|neigh)\.(.+)\.[^.]+$/.exec(key);
    dev = m?.[1];
  }
  return dev === undefined || dev === 'all' || dev === 'default' ? undefined : dev;
}

/** sysctl(8) reads '.' as the separator, so a device name with a dot needs the slash form. */
function sysctlKey(key: string): string {
  const dev = sysctlDevice(key);
  if (dev === undefined || !dev.includes('.') || key.includes('/')) return key;
  const m = /^(net\.ipv[46]\.(?:conf|neigh))\..+\.([^.]+)$/.exec(key);
  return m === null ? key : `${(m[1] ?? '').replaceAll('.', '/')}/${dev}/${m[2] ?? ''}`;
}

function linkOpts(e: LinkEnd, mtu: number | undefined, index: number): string {
  const m = e.mtu ?? mtu;
  return ` index ${index}${e.mac !== undefined ? ` address ${e.mac}` : ''}${m !== undefined ? ` mtu ${m}` : ''}`;
}

/**
 * ifindex of the a and b ends of link i: distinct across the lab, so the two ends of a pair
 * never share a number, which would make the kernel delay their carrier events (settle.ts).
 */
export function vethIndexes(i: number): [number, number] {
  return [1000 + 2 * i, 1001 + 2 * i];
}

/**
 * ifindex of the k-th device (bridge, VXLAN) of a host: above every veth index, so that ifindex
 * order is the order the kernel registered the devices in (veths first, then devices), as on a
 * booted host where each new device gets the next index. The kernel walks devices in
 * registration order where it picks an address from any device (net/ipv4/devinet.c
 * inet_select_addr, for MASQUERADE out of an address-less cali* veth), and the snapshot only
 * shows ifindexes; an automatic index would be lower than the veths' explicit ones.
 */
export function deviceIndex(k: number): number {
  return 5000 + k;
}

function deviceLine(d: DeviceSpec, k: number): string {
  const common = `link add name ${d.name} index ${deviceIndex(k)}${d.mac !== undefined ? ` address ${d.mac}` : ''}${d.mtu !== undefined ? ` mtu ${d.mtu}` : ''}`;
  if (d.kind === 'bridge') return `${common} type bridge`;
  return (
    `${common} type vxlan id ${d.vni}` +
    (d.local !== undefined ? ` local ${d.local}` : '') +
    (d.dev !== undefined ? ` dev ${d.dev}` : '') +
    ` dstport ${d.dstport ?? 8472}` +
    (d.learning === true ? '' : ' nolearning')
  );
}

function addrs(e: LinkEnd): readonly string[] {
  return e.addr === undefined ? [] : typeof e.addr === 'string' ? [e.addr] : e.addr;
}

function hostPlan(h: HostSpec, ends: readonly LinkEnd[]): HostPlan {
  const early: Sysctl[] = [];
  const perDevice: Sysctl[] = [];
  const merged: Record<string, string> = {
    ...BASELINE_SYSCTLS,
    'net.ipv4.ip_forward': h.forwarding === true ? '1' : '0',
    ...h.sysctls,
  };
  for (const [k, v] of Object.entries(merged)) {
    (sysctlDevice(k) === undefined ? early : perDevice).push({ key: sysctlKey(k), value: v });
  }

  const devices: string[] = ['link set dev lo up'];
  for (const [k, d] of (h.devices ?? []).entries()) devices.push(deviceLine(d, k));
  for (const e of ends) if (e.master !== undefined) devices.push(`link set dev ${e.dev} master ${e.master}`);
  for (const e of ends) for (const a of addrs(e)) devices.push(`addr add ${a} dev ${e.dev}`);
  for (const a of h.addresses ?? []) devices.push(`addr add ${a}`);
  for (const d of h.devices ?? []) devices.push(`link set dev ${d.name} up`);
  for (const e of ends) devices.push(`link set dev ${e.dev} up`);

  return {
    host: h.name,
    earlySysctls: early,
    devices,
    deviceSysctls: perDevice,
    routing: [
      ...(h.routes ?? []).map((r) => `route add ${r}`),
      ...(h.rules ?? []).map((r) => `rule add ${r}`),
      ...(h.neighbors ?? []).map((n) => `neigh replace ${n}`),
    ],
    fdb: (h.fdb ?? []).map((f) => `fdb append ${f}`),
    ...(h.ipsets !== undefined ? { ipsets: h.ipsets } : {}),
    ...(h.iptables !== undefined ? { iptables: h.iptables } : {}),
    ...(h.iptablesLegacy !== undefined ? { iptablesLegacy: h.iptablesLegacy } : {}),
    files: { ...h.files },
    commands: [...(h.commands ?? [])],
  };
}

/** `nsOf` maps a host name to its namespace name. The topology must already be valid (validate.ts). */
export function planLab(lab: Lab, nsOf: (host: string) => string): LabPlan {
  const links = lab.links.map((l, i) => {
    const [ia, ib] = vethIndexes(i);
    return (
      `link add name ${l.a.dev}${linkOpts(l.a, l.mtu, ia)} netns ${nsOf(l.a.host)} type veth ` +
      `peer name ${l.b.dev}${linkOpts(l.b, l.mtu, ib)} netns ${nsOf(l.b.host)}`
    );
  });
  const hosts = lab.hosts.map((h) =>
    hostPlan(
      h,
      lab.links.flatMap((l) => [l.a, l.b].filter((e) => e.host === h.name)),
    ),
  );
  return { links, hosts };
}
