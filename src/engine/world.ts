// The network the engine walks: the probed hosts, the pods that live on them (not probed: their
// network namespace is the pod's own), and external hosts (a LAN PC) that exist only as an
// address. It also answers "who receives a frame sent out of this device toward that next hop",
// which the snapshot does not record directly and is inferred from addressing (see adjacency).
import { cidrContains, cidrOverlaps, formatIpv4 } from '../lib/ipv4.ts';
import { CNI_MODULES } from '../model/cni/index.ts';
import type { Ipv4 } from '../lib/ipv4.ts';
import { proxyArp } from './kernel/sysctl.ts';
import { neighborOf, usableNeighbor } from './host-net.ts';
import type { HostNet } from './host-net.ts';
import { fibLookup, routeUsesDev } from './routing.ts';
import { missingSection, NEEDS } from './data-gaps.ts';
import type { DataMissing } from './data-gaps.ts';
import { itemSaid, said } from '../model/said.ts';
import type { Said } from '../model/said.ts';

export interface PodEndpoint {
  /** namespace/name */
  name: string;
  ip: Ipv4;
  node: string;
}

export interface ExternalEndpoint {
  name: string;
  ip: Ipv4;
  /**
   * Where the external host's packets enter the cluster: the node (and optionally its device) that
   * the LAN router sends them to. Default: a node with a device in the external host's subnet.
   */
  entry?: { host: string; dev?: string };
}

/** What the cluster objects say about a probed node's datapath, beyond its own state. */
export interface NodeDatapath {
  /** kube-proxy may run IPVS here (its mode, or a kube-ipvs0 device): local delivery consults ipvsadm. */
  ipvs: boolean;
  /** Why the node's datapath is not what the engine walks (eBPF kube-proxy replacement, ...); empty when it is. */
  notModelled: string[];
}

export interface World {
  hosts: Map<string, HostNet>;
  pods: PodEndpoint[];
  externals: ExternalEndpoint[];
  /** Pods on nodes the snapshot has no state for: where a walk toward them stops, unknown. */
  unprobedPods?: PodEndpoint[];
  /** Every cluster node by InternalIP, probed or not: names a next hop the walk cannot follow. */
  nodeAddresses?: Map<Ipv4, string>;
  /** Per probed node, by name; a node not listed runs what the engine models, without IPVS. */
  datapath?: Map<string, NodeDatapath>;
  /** The address routed pods use as gateway, answered by proxy ARP on their host device (Calico's 169.254.1.1). */
  podGateway?: Ipv4;
}

export type Receiver =
  | { kind: 'host'; host: string; dev: string; physdevIn?: string; how: Said }
  | { kind: 'pod'; pod: PodEndpoint; how: Said }
  | { kind: 'external'; external: ExternalEndpoint; how: Said }
  | { kind: 'gateway'; gateway: Ipv4; how: Said }
  /** The receiver may be on a node whose state is missing: `node` was not probed, or `gap` says which section it lacks. */
  | { kind: 'unseen'; node: string; gap?: DataMissing; how: Said }
  /** Whether anything answers ARP for the next hop is not in the snapshot. */
  | { kind: 'undecided'; why: Said; evidence: Said[] };

function devSubnets(h: HostNet, dev: string): { net: Ipv4; len: number }[] {
  return (h.addresses.get(dev) ?? []).filter((a) => a.len < 32).map((a) => ({ net: a.net, len: a.len }));
}

function sharesSubnet(h1: HostNet, d1: string, h2: HostNet, d2: string): boolean {
  const a = devSubnets(h1, d1);
  const b = devSubnets(h2, d2);
  return a.some((x) => b.some((y) => cidrOverlaps(x, y)));
}

/**
 * veth peers name each other's ifindex (link_index). Indexes are per network namespace, so a
 * match is only a hint; a *mismatch* between two veths proves they are not each other's peer.
 */
function vethMismatch(h1: HostNet, d1: string, h2: HostNet, d2: string): boolean {
  const l1 = h1.links.get(d1);
  const l2 = h2.links.get(d2);
  if (l1?.kind !== 'veth' || l2?.kind !== 'veth' || l1.peerIndex === undefined || l2.peerIndex === undefined)
    return false;
  return l1.peerIndex !== l2.index || l2.peerIndex !== l1.index;
}

/** hA routes an address configured on (hB, dB) straight out of dA (on-link, no gateway). */
function faces(hA: HostNet, dA: string, hB: HostNet, dB: string): boolean {
  for (const a of hB.addresses.get(dB) ?? []) {
    const r = fibLookup(hA, { dst: a.local, src: 0, iif: 'lo', mark: 0, tos: 0 });
    if (
      r.ok &&
      r.route.type === 'unicast' &&
      r.route.gateway === undefined &&
      r.route.nexthops.length === 0 &&
      routeUsesDev(r.route, dA)
    )
      return true;
  }
  return false;
}

/** The L3 device a frame arriving on `dev` is handled by: its bridge when it is a bridge port. */
function l3Device(h: HostNet, dev: string): { dev: string; physdevIn?: string } {
  const master = h.links.get(dev)?.master;
  if (master !== undefined && h.links.get(master)?.kind === 'bridge') return { dev: master, physdevIn: dev };
  return { dev };
}

/**
 * Are (h1, d1) and (h2, d2) on one link? The snapshot does not record cabling, so it is inferred:
 * a shared connected subnet (LAN, bridge); or, for point-to-point veths without addresses
 * (Calico's cali*), one side routing the other's address straight out of that device — unless
 * the veth peer indexes prove they are not a pair.
 */
export function adjacent(h1: HostNet, d1: string, h2: HostNet, d2: string): boolean {
  if (sharesSubnet(h1, d1, h2, d2)) return true;
  // Only a veth pair can be a link without addresses. A device with no wire (kube-proxy's
  // kube-ipvs0, a dummy, a bridge without ports) is never on the other end of one, even when
  // the neighbour routes its /32s on-link out of its LAN device.
  if (h1.links.get(d1)?.kind !== 'veth' || h2.links.get(d2)?.kind !== 'veth') return false;
  if (vethMismatch(h1, d1, h2, d2)) return false;
  return faces(h1, d1, h2, d2) || faces(h2, d2, h1, d1);
}

const podIndex = new WeakMap<readonly PodEndpoint[], { size: number; byNode: Map<string, Map<Ipv4, PodEndpoint>> }>();

/**
 * Builds the world's lookup tables now rather than on the first trace that needs them: the pod
 * index of a cluster with tens of thousands of pods takes tens of milliseconds to build, which
 * belongs to building the world, not to the first answer. Returns `w`. Worlds not passed here
 * (tests' literals) build the same tables on first use.
 */
export function indexWorld(w: World): World {
  podsByNode(w);
  return w;
}

/** Pods by node and address (the first listed wins, as the linear search did); rebuilt if the list grew. */
function podsByNode(w: World): Map<string, Map<Ipv4, PodEndpoint>> {
  const cached = podIndex.get(w.pods);
  if (cached !== undefined && cached.size === w.pods.length) return cached.byNode;
  const byNode = new Map<string, Map<Ipv4, PodEndpoint>>();
  for (const p of w.pods) {
    let m = byNode.get(p.node);
    if (m === undefined) byNode.set(p.node, (m = new Map()));
    if (!m.has(p.ip)) m.set(p.ip, p);
  }
  podIndex.set(w.pods, { size: w.pods.length, byNode });
  return byNode;
}

/**
 * Who answers ARP for `nextHop` on the link behind (host, dev) and so receives the frame.
 * `finalDst` is the packet's destination (to tell a gateway from the destination itself).
 */
export function resolveReceiver(w: World, host: HostNet, dev: string, nextHop: Ipv4, finalDst: Ipv4): Receiver {
  // 0. The sender's own neighbour entry: the kernel sends the frame to the MAC it holds, and
  //    that MAC names the receiving device — whatever subnets the two ends have (two IP subnets
  //    on one segment, a peer's second NIC) and whichever of a host's NICs answered the ARP.
  const entry = neighborOf(host, dev, nextHop);
  if (usableNeighbor(entry)) {
    const owner = macOwner(w, host, entry.lladdr);
    if (owner !== undefined) {
      const l3 = l3Device(owner.host, owner.dev);
      return {
        kind: 'host',
        host: owner.host.name,
        dev: l3.dev,
        ...(l3.physdevIn !== undefined ? { physdevIn: l3.physdevIn } : {}),
        how: said`${host.name}'s neighbour entry "${{ neighbor: entry }}": ${entry.lladdr} is ${owner.dev} of ${owner.host.name}`,
      };
    }
  }
  // 1. A probed host that owns the address on an adjacent device.
  for (const h2 of w.hosts.values()) {
    if (h2 === host) continue;
    for (const [d2, addrs] of h2.addresses) {
      if (!addrs.some((a) => a.local === nextHop)) continue;
      if (!adjacent(host, dev, h2, d2)) continue;
      const l3 = l3Device(h2, d2);
      return {
        kind: 'host',
        host: h2.name,
        dev: l3.dev,
        ...(l3.physdevIn !== undefined ? { physdevIn: l3.physdevIn } : {}),
        how: `${h2.name} owns ${formatIpv4(nextHop)} on ${d2}`,
      };
    }
  }
  // 2. A pod on this host behind `dev` (its route points there, or dev is its bridge).
  const p = podsByNode(w).get(host.name)?.get(nextHop);
  if (p !== undefined) return { kind: 'pod', pod: p, how: `pod ${p.name} (${formatIpv4(p.ip)}) is behind ${dev}` };
  // 3. A probed host answering by proxy ARP (Calico's cali* devices answer for 169.254.1.1).
  for (const h2 of w.hosts.values()) {
    if (h2 === host) continue;
    for (const l of h2.linkOrder) {
      if (!proxyArp(h2.state.sysctls, l.name)) continue;
      if (!adjacent(host, dev, h2, l.name)) continue;
      const r = fibLookup(h2, { dst: nextHop, src: 0, iif: l.name, mark: 0, tos: 0 });
      // arp_process(): answer when the target is routed out of a *different* device.
      if (r.ok && !routeUsesDev(r.route, l.name)) {
        const l3 = l3Device(h2, l.name);
        return {
          kind: 'host',
          host: h2.name,
          dev: l3.dev,
          ...(l3.physdevIn !== undefined ? { physdevIn: l3.physdevIn } : {}),
          how: `${h2.name} answers ARP for ${formatIpv4(nextHop)} on ${l.name} (proxy_arp)`,
        };
      }
    }
  }
  // 4. An external host on this link, when the packet is for it. As the next hop of a packet for
  //    somebody else it is a router netcheck knows nothing about (step 5).
  for (const e of w.externals) {
    if (e.ip !== nextHop || nextHop !== finalDst) continue;
    return { kind: 'external', external: e, how: `${e.name} is on the link behind ${dev}` };
  }
  // 5. A node the snapshot has no state for, or a pod on one.
  const unprobed = unprobedReceiver(w, nextHop, finalDst);
  if (unprobed !== undefined) return unprobed;
  // 6. Something not probed: a router or a LAN host we know nothing about.
  const onLink = devSubnets(host, dev).some((c) => cidrContains(c, nextHop));
  if (nextHop !== finalDst || onLink) {
    return { kind: 'gateway', gateway: nextHop, how: `${formatIpv4(nextHop)} is not a probed node, pod or named host` };
  }
  // 7. A probed host whose addresses or proxy_arp were not collected may be the one that answers.
  for (const h2 of w.hosts.values()) {
    const gap = h2 === host ? undefined : missingSection(h2.state, ANSWERS_ARP);
    if (gap !== undefined)
      return { kind: 'unseen', node: h2.name, gap, how: `${h2.name} may answer ARP for ${formatIpv4(nextHop)}` };
  }
  // 8. Nobody known answers — which does not show that nothing does: the snapshot does not record
  //    cabling, and even a FAILED entry is only the last attempt (neigh_event_send resolves a
  //    FAILED neighbour again on the next packet). Unknown, never unreachable.
  const ip = formatIpv4(nextHop);
  const owner = addressOwner(w, host, nextHop);
  const last =
    entry !== undefined
      ? said`its last resolution is "${{ neighbor: entry }}"`
      : `${host.name} has no neighbour entry for it`;
  return {
    kind: 'undecided',
    why: said`cannot tell whether anything on the link behind ${dev} answers ARP for ${ip}: ${
      owner !== undefined
        ? `${owner.host.name} holds it on ${owner.dev}, but no shared subnet or neighbour entry shows that ${owner.dev} is on that link`
        : 'no probed node, pod or named host holds it'
    }, and ${last}. Show it with \`ip neigh show ${ip} dev ${dev}\` on ${host.name} after sending to it (or \`arping -I ${dev} ${ip}\`), then collect again.`,
    evidence: entry !== undefined ? [itemSaid({ neighbor: entry })] : [],
  };
}

/** The one probed host (not `self`) with a device of this MAC; undefined when none or several do. */
function macOwner(w: World, self: HostNet, mac: string): { host: HostNet; dev: string } | undefined {
  const m = mac.toLowerCase();
  let found: { host: HostNet; dev: string } | undefined;
  for (const h of w.hosts.values()) {
    if (h === self) continue;
    // Several devices of one host can share a MAC (a bridge and its port): the L3 one is chosen later.
    const l =
      h.linkOrder.find((x) => x.mac?.toLowerCase() === m && x.master === undefined) ??
      h.linkOrder.find((x) => x.mac?.toLowerCase() === m);
    if (l === undefined) continue;
    if (found !== undefined) return undefined; // the same MAC on two hosts (Calico's ee:ee:..): no evidence
    found = { host: h, dev: l.name };
  }
  return found;
}

function addressOwner(w: World, self: HostNet, ip: Ipv4): { host: HostNet; dev: string } | undefined {
  for (const h of w.hosts.values()) {
    if (h === self) continue;
    for (const [dev, addrs] of h.addresses) if (addrs.some((a) => a.local === ip)) return { host: h, dev };
  }
  return undefined;
}

/** Sections another host's answer to ARP rests on: its addresses (it owns the next hop) and proxy_arp. */
const ANSWERS_ARP = [...NEEDS.links, ...NEEDS.sysctl];

function unprobedReceiver(w: World, nextHop: Ipv4, finalDst: Ipv4): Receiver | undefined {
  const node = w.nodeAddresses?.get(nextHop);
  if (node !== undefined) {
    const h = w.hosts.get(node);
    if (h === undefined)
      return { kind: 'unseen', node, how: `${formatIpv4(nextHop)} is node ${node}, which was not probed` };
    const gap = missingSection(h.state, NEEDS.links);
    if (gap !== undefined)
      return { kind: 'unseen', node, gap, how: `${formatIpv4(nextHop)} is node ${node}, whose devices are not seen` };
  }
  const pod = nextHop === finalDst ? w.unprobedPods?.find((p) => p.ip === finalDst) : undefined;
  if (pod !== undefined)
    return { kind: 'unseen', node: pod.node, how: `pod ${pod.name} runs on ${pod.node}, which was not probed` };
  return undefined;
}

/** Devices whose addresses no other machine reaches on a wire: loopback, and kube-ipvs0 where IPVS binds Service addresses. */
const UNWIRED = new Set(['lo', 'kube-ipvs0']);

/**
 * Which probed host holds an address: the host and device; `unseen` when it may be a node whose
 * devices are not in the snapshot (not probed, or `gap` names the section it lacks); or none.
 */
export type Holder = { host: HostNet; dev: string } | { unseen: string; gap?: DataMissing } | undefined;

/**
 * The probed host that has `ip` on a wired device. "None" is only said when it is known: a node
 * whose addresses were not collected may be the holder, unless the cluster says whose the address
 * is (a Node's InternalIP, a pod's IP).
 */
export function addressHolder(w: World, ip: Ipv4): Holder {
  for (const h of w.hosts.values())
    for (const [dev, addrs] of h.addresses)
      if (!UNWIRED.has(dev) && addrs.some((a) => a.local === ip)) return { host: h, dev };
  const node = w.nodeAddresses?.get(ip);
  if (node !== undefined) {
    const h = w.hosts.get(node);
    if (h === undefined) return { unseen: node };
    const gap = missingSection(h.state, NEEDS.links);
    return gap !== undefined ? { unseen: node, gap } : undefined;
  }
  if (isPodIp(w, ip)) return undefined;
  for (const h of w.hosts.values()) {
    const gap = missingSection(h.state, NEEDS.links);
    if (gap !== undefined) return { unseen: h.name, gap };
  }
  return undefined;
}

function isPodIp(w: World, ip: Ipv4): boolean {
  return w.pods.some((p) => p.ip === ip) || (w.unprobedPods ?? []).some((p) => p.ip === ip);
}

/**
 * A packet from an external host to an address that a probed host owns on the external host's own
 * subnet goes straight there (the sender's connected route), whatever node the pod network is
 * routed through. A gap when the holder may be a host whose addresses were not seen.
 */
export function directEntry(w: World, e: ExternalEndpoint, dst: Ipv4): Holder {
  for (const h of w.hosts.values())
    for (const [dev, addrs] of h.addresses)
      if (addrs.some((a) => a.local === dst) && devSubnets(h, dev).some((c) => cidrContains(c, e.ip)))
        return { host: h, dev };
  const held = addressHolder(w, dst);
  return held !== undefined && 'unseen' in held ? held : undefined;
}

/** The node device an external host's packets enter by: the given one, else one on its subnet, else the default route's. */
export function externalEntry(w: World, e: ExternalEndpoint): { host: HostNet; dev: string } | undefined {
  const candidates =
    e.entry !== undefined
      ? [w.hosts.get(e.entry.host)].filter((h): h is HostNet => h !== undefined)
      : [...w.hosts.values()];
  for (const h of candidates) {
    if (e.entry?.dev !== undefined) return { host: h, dev: e.entry.dev };
    for (const [dev] of h.addresses) if (devSubnets(h, dev).some((c) => cidrContains(c, e.ip))) return { host: h, dev };
  }
  for (const h of candidates) {
    const r = fibLookup(h, { dst: e.ip, src: 0, iif: 'lo', mark: 0, tos: 0 });
    if (r.ok && r.route.dev !== undefined) return { host: h, dev: r.route.dev };
  }
  return undefined;
}

/**
 * The node a pod lives on and the device its packets arrive on: the veth a CNI plugin named after
 * the pod (Calico's cali*, src/model/cni/) when the node has one (the pod sends through it
 * whatever the node's routes say), else the device its node routes it through.
 */
export function podAttachment(w: World, p: PodEndpoint): { host: HostNet; dev: string } | undefined {
  const h = w.hosts.get(p.node);
  if (h === undefined) return undefined;
  for (const m of CNI_MODULES) {
    const dev = m.podDevice?.(p.name);
    if (dev !== undefined && h.links.has(dev)) return { host: h, dev };
  }
  const r = fibLookup(h, { dst: p.ip, src: 0, iif: 'lo', mark: 0, tos: 0 });
  if (!r.ok || r.route.type !== 'unicast') return undefined;
  const dev = r.route.dev ?? r.route.nexthops[0]?.dev;
  return dev === undefined ? undefined : { host: h, dev };
}
