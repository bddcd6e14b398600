// The devices of a node on the pod side, recognised from the node's own state rather than from
// device names (a CNI bridge may be cni0, cbr0 of kubenet, rk-cni0 of a kubelet's bridge plugin):
//  - the device the node's most specific on-link route for one of its pods leaves by (cali*,
//    lxc*, or the bridge its pods hang off),
//  - a bridge whose ports are all veths (an uplink bridge has a NIC among its ports), and the
//    ports of every pod-side bridge,
//  - a device holding an address inside the node's own pod range (the pods' gateway on the
//    bridge, flannel.1's, vxlan.calico's or cilium_host's address).
// None of these leads to a LAN.
import { cidrContains, parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Cidr4, Ipv4 } from '../../lib/ipv4.ts';
import type { HostState, Route } from '../types.ts';

const MAIN_TABLE = 254;

/** Longest on-link (no gateway) unicast route of the main table containing `ip`. */
function onLinkRoute(routes: readonly Route[], ip: Ipv4): Route | undefined {
  let best: { r: Route; len: number } | undefined;
  for (const r of routes) {
    if (r.table !== MAIN_TABLE || r.type !== 'unicast' || r.dev === undefined || r.family !== 'inet') continue;
    const c = parseCidr4(r.dst);
    if (c === undefined || !cidrContains(c, ip) || (best !== undefined && best.len >= c.len)) continue;
    best = { r, len: c.len };
  }
  return best?.r.gateway === undefined ? best?.r : undefined;
}

export function podSideDevices(h: HostState, ownRanges: readonly string[], podIps: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const s of podIps) {
    const ip = parseIpv4(s);
    const r = ip === undefined ? undefined : onLinkRoute(h.routes, ip);
    if (r?.dev !== undefined) out.add(r.dev);
  }
  for (const b of h.links) {
    if (b.kind !== 'bridge') continue;
    const ports = h.links.filter((l) => l.master === b.name);
    if (ports.length > 0 && ports.every((l) => l.kind === 'veth')) out.add(b.name);
  }
  const ranges = ownRanges.map(parseCidr4).filter((c): c is Cidr4 => c !== undefined);
  for (const a of h.addresses) {
    const ip = a.family === 'inet' ? parseIpv4(a.local) : undefined;
    if (ip !== undefined && ranges.some((c) => cidrContains(c, ip))) out.add(a.dev);
  }
  // Ports of a pod bridge are pod-side too.
  for (const l of h.links) if (l.master !== undefined && out.has(l.master)) out.add(l.name);
  return out;
}
