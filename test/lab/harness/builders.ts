// Small builders for the shapes lab tests keep needing. Each returns a topology fragment (a Lab);
// `mergeLabs` joins fragments, merging hosts that share a name, so a pod builder can add the
// node-side route and sysctls to its node without the test repeating them.
import { createHash } from 'node:crypto';
import { LabTopologyError } from './errors.ts';
import type { BridgeSpec, DeviceSpec, HostSpec, Lab, LinkEnd, VxlanSpec } from './topology.ts';

export type HostOptions = Omit<HostSpec, 'name'>;

function uniq<T>(xs: readonly T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = JSON.stringify(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function mergeScalar<T>(host: string, field: string, a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  throw new LabTopologyError(`host "${host}": conflicting ${field}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
}

function mergeRecord(
  host: string,
  field: string,
  a?: Record<string, string>,
  b?: Record<string, string>,
): Record<string, string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = mergeScalar(host, `${field} ${k}`, out[k], v) ?? v;
  return out;
}

function mergeList<T>(a?: readonly T[], b?: readonly T[]): T[] | undefined {
  return a === undefined && b === undefined ? undefined : uniq([...(a ?? []), ...(b ?? [])]);
}

function mergeDevices(host: string, a?: readonly DeviceSpec[], b?: readonly DeviceSpec[]): DeviceSpec[] | undefined {
  const all = mergeList(a, b);
  const names = new Set<string>();
  for (const d of all ?? []) {
    if (names.has(d.name))
      throw new LabTopologyError(`host "${host}": device "${d.name}" declared twice with different settings`);
    names.add(d.name);
  }
  return all;
}

function mergeHost(a: HostSpec, b: HostSpec): HostSpec {
  const n = a.name;
  const out: HostSpec = { name: n };
  const set = <K extends keyof HostSpec>(k: K, v: HostSpec[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('forwarding', mergeScalar(n, 'forwarding', a.forwarding, b.forwarding));
  set('sysctls', mergeRecord(n, 'sysctl', a.sysctls, b.sysctls));
  set('devices', mergeDevices(n, a.devices, b.devices));
  set('addresses', mergeList(a.addresses, b.addresses));
  set('routes', mergeList(a.routes, b.routes));
  set('rules', mergeList(a.rules, b.rules));
  set('neighbors', mergeList(a.neighbors, b.neighbors));
  set('fdb', mergeList(a.fdb, b.fdb));
  set('ipsets', mergeScalar(n, 'ipsets', a.ipsets, b.ipsets));
  set('iptables', mergeScalar(n, 'iptables', a.iptables, b.iptables));
  set('iptablesLegacy', mergeScalar(n, 'iptablesLegacy', a.iptablesLegacy, b.iptablesLegacy));
  set('files', mergeRecord(n, 'file', a.files, b.files));
  set(
    'commands',
    a.commands === undefined && b.commands === undefined ? undefined : [...(a.commands ?? []), ...(b.commands ?? [])],
  );
  return out;
}

/** Joins fragments; hosts with the same name merge (lists concatenate without duplicates, conflicting scalars throw). */
export function mergeLabs(...parts: readonly Lab[]): Lab {
  const hosts = new Map<string, HostSpec>();
  for (const p of parts) {
    for (const h of p.hosts) {
      const prev = hosts.get(h.name);
      hosts.set(h.name, prev === undefined ? { ...h } : mergeHost(prev, h));
    }
  }
  return { hosts: [...hosts.values()], links: parts.flatMap((p) => p.links) };
}

export function host(name: string, opts: HostOptions = {}): Lab {
  return { hosts: [{ name, ...opts }], links: [] };
}

/** A plain LAN machine: does not forward. */
export function lanHost(name: string, opts: HostOptions = {}): Lab {
  return host(name, { forwarding: false, ...opts });
}

/** A router: forwards. */
export function router(name: string, opts: HostOptions = {}): Lab {
  return host(name, { forwarding: true, ...opts });
}

/** A Kubernetes node: forwards (kubelet requires net.ipv4.ip_forward = 1). */
export function node(name: string, opts: HostOptions = {}): Lab {
  return host(name, { forwarding: true, ...opts });
}

/** A veth pair. */
export function link(a: LinkEnd, b: LinkEnd, opts: { mtu?: number } = {}): Lab {
  return { hosts: [], links: [{ a, b, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) }] };
}

/** Interface name derived from a pod name the way Calico does it: prefix + first 11 hex digits of a SHA-1. */
export function vethName(prefix: string, podName: string): string {
  return (prefix + createHash('sha1').update(podName).digest('hex')).slice(0, 15);
}

export interface CalicoPodOptions {
  name: string;
  node: string;
  /** Pod address, without prefix length (Calico gives pods a /32). */
  ip: string;
  /** Node-side device; default cali + hash. */
  hostIf?: string;
  podIf?: string;
  mtu?: number;
  /** More settings for the pod host. */
  pod?: HostOptions;
}

/**
 * A pod wired the way the Calico CNI plugin does it (projectcalico/calico
 * cni-plugin/pkg/dataplane/linux/dataplane_linux.go): /32 on the pod's eth0, a link-scope route
 * to 169.254.1.1 and the default route via it; on the node, the veth has MAC ee:ee:ee:ee:ee:ee,
 * no address, proxy_arp = 1 (it answers ARP for 169.254.1.1), proxy_delay = 0, forwarding = 1,
 * and a /32 route to the pod. Proxy ARP answers only when the node has a route to 169.254.1.1
 * through another device (net/ipv4/arp.c arp_fwd_proxy), so give the node a default route, as
 * every real node has.
 */
export function calicoPod(o: CalicoPodOptions): Lab {
  const hostIf = o.hostIf ?? vethName('cali', o.name);
  const podIf = o.podIf ?? 'eth0';
  return mergeLabs(
    host(o.name, {
      ...o.pod,
      routes: [`169.254.1.1 dev ${podIf} scope link`, `default via 169.254.1.1 dev ${podIf}`, ...(o.pod?.routes ?? [])],
    }),
    host(o.node, {
      sysctls: {
        [`net.ipv4.conf.${hostIf}.proxy_arp`]: '1',
        [`net.ipv4.neigh.${hostIf}.proxy_delay`]: '0',
        [`net.ipv4.conf.${hostIf}.forwarding`]: '1',
      },
      routes: [`${o.ip} dev ${hostIf} scope link`],
    }),
    link(
      { host: o.name, dev: podIf, addr: `${o.ip}/32` },
      { host: o.node, dev: hostIf, mac: 'ee:ee:ee:ee:ee:ee' },
      o.mtu !== undefined ? { mtu: o.mtu } : {},
    ),
  );
}

/** A bridge on a host, optionally with an address (a CNI bridge with isGateway). */
export function bridge(hostName: string, name: string, addr?: string): Lab {
  const dev: BridgeSpec = { kind: 'bridge', name };
  return host(hostName, { devices: [dev], ...(addr !== undefined ? { addresses: [`${addr} dev ${name}`] } : {}) });
}

export interface BridgePodOptions {
  name: string;
  node: string;
  /** Pod address with the bridge subnet's length, e.g. '10.244.1.5/24'. */
  addr: string;
  /** The bridge's address, e.g. '10.244.1.1/24': default gateway of the pod. */
  gateway: string;
  bridge?: string;
  hostIf?: string;
  podIf?: string;
  mtu?: number;
  pod?: HostOptions;
}

/**
 * A pod on a CNI bridge the way the `bridge` plugin does it for flannel (containernetworking/
 * plugins plugins/main/bridge): node-side veth enslaved to cni0, which carries the gateway
 * address; in the pod, the address and a default route via the gateway.
 */
export function bridgePod(o: BridgePodOptions): Lab {
  const br = o.bridge ?? 'cni0';
  const hostIf = o.hostIf ?? vethName('veth', o.name);
  const podIf = o.podIf ?? 'eth0';
  const gw = o.gateway.split('/')[0] ?? o.gateway;
  return mergeLabs(
    host(o.name, { ...o.pod, routes: [`default via ${gw} dev ${podIf}`, ...(o.pod?.routes ?? [])] }),
    bridge(o.node, br, o.gateway),
    link(
      { host: o.name, dev: podIf, addr: o.addr },
      { host: o.node, dev: hostIf, master: br },
      o.mtu !== undefined ? { mtu: o.mtu } : {},
    ),
  );
}

export interface SegmentPort {
  host: string;
  dev: string;
  addr?: string | readonly string[];
  mac?: string;
}

/** A LAN: a switch host holding a bridge, with one veth port per member. */
export function lanSegment(switchName: string, ports: readonly SegmentPort[], opts: { mtu?: number } = {}): Lab {
  return mergeLabs(
    bridge(switchName, 'br0'),
    ...ports.map((p, i) => link({ ...p }, { host: switchName, dev: `port${i}`, master: 'br0' }, opts)),
  );
}

export interface FlannelVxlanNode {
  host: string;
  /** Underlay address: the VTEP's outer source and the `public-ip` flannel announces. */
  underlayIp: string;
  underlayDev: string;
  /** The node's pod subnet, e.g. '10.244.1.0/24'; flannel.1 gets its network address as a /32. */
  podCidr: string;
  /** MAC of this node's flannel.1 (flannel publishes it as the VtepMAC annotation). */
  mac: string;
}

/**
 * A flannel VXLAN overlay as flannel's vxlan backend programs it (flannel-io/flannel
 * pkg/backend/vxlan): flannel.1 (VNI 1, port 8472, nolearning, MTU 1450) with the subnet's
 * network address as /32, and for every other node a route `SUBNET via VTEP-IP dev flannel.1
 * onlink`, a permanent neighbour VTEP-IP → VTEP-MAC and an fdb entry VTEP-MAC → underlay IP.
 */
export function flannelVxlan(
  nodes: readonly FlannelVxlanNode[],
  opts: { vni?: number; port?: number; mtu?: number } = {},
): Lab {
  const vtepIp = (n: FlannelVxlanNode) => n.podCidr.split('/')[0] ?? n.podCidr;
  return mergeLabs(
    ...nodes.map((n) => {
      const dev: VxlanSpec = {
        kind: 'vxlan',
        name: 'flannel.1',
        vni: opts.vni ?? 1,
        local: n.underlayIp,
        dev: n.underlayDev,
        dstport: opts.port ?? 8472,
        mac: n.mac,
        mtu: opts.mtu ?? 1450,
      };
      const peers = nodes.filter((p) => p !== n);
      return host(n.host, {
        devices: [dev],
        addresses: [`${vtepIp(n)}/32 dev flannel.1`],
        routes: peers.map((p) => `${p.podCidr} via ${vtepIp(p)} dev flannel.1 onlink`),
        neighbors: peers.map((p) => `${vtepIp(p)} lladdr ${p.mac} dev flannel.1 nud permanent`),
        fdb: peers.map((p) => `${p.mac} dev flannel.1 dst ${p.underlayIp}`),
      });
    }),
  );
}
