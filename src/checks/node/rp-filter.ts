// Strict rp_filter on tunnel devices (docs/incidents.md #1): traffic from outside the cluster that a LAN
// router hands to one node and that reaches the pod's node through the tunnel has a source whose
// reverse route leaves by the underlay NIC, not the tunnel — strict mode drops it in the routing
// decision, where no iptables counter sees it. Checked with the engine's own fib_validate_source
// for a source on each LAN the node reaches (its connected underlay networks and the default route).
import { renderRoute } from '../../model/render/iproute2.ts';
import { formatIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { confKey, rpFilter } from '../../engine/kernel/sysctl.ts';
import type { HostNet } from '../../engine/host-net.ts';
import { validateSource } from '../../engine/rpfilter.ts';
import type { HostState, Link } from '../../model/types.ts';
import { fixedNeeds } from '../check.ts';
import type { NodeScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import { podSide } from './ownership.ts';
import type { Finding } from '../finding.ts';

/** TEST-NET-2 (RFC 5737): stands for "a host beyond the default route", never a real neighbour. */
const BEYOND_DEFAULT = ((198 << 24) | (51 << 16) | (100 << 8) | 10) >>> 0;

/**
 * Pod-side devices (recognised from the node's state: ownership.ts podSide), bridges and their
 * ports, and loopback lead to no LAN; kube-ipvs0 and cilium_host carry only /32s, which no LAN
 * source is taken from.
 */
function isUplink(l: Link, podSide: ReadonlySet<string>): boolean {
  return l.kind !== 'loopback' && l.kind !== 'bridge' && l.master === undefined && !podSide.has(l.name);
}

/** One representative outside source per network the node reaches without a tunnel. */
function lanSources(
  h: HostNet,
  tunnels: ReadonlySet<string>,
  podSide: ReadonlySet<string>,
): { ip: Ipv4; what: string }[] {
  const out: { ip: Ipv4; what: string }[] = [];
  for (const l of h.linkOrder) {
    if (tunnels.has(l.name) || !isUplink(l, podSide)) continue;
    for (const a of h.addresses.get(l.name) ?? []) {
      if (a.len >= 31) continue;
      // The highest host address of the subnet: a LAN PC, not a node (nodes rarely sit there).
      const last = ((a.net | (~(-1 << (32 - a.len)) >>> 0)) - 1) >>> 0;
      if (last !== a.local) out.push({ ip: last, what: `a host on ${formatIpv4(a.net)}/${a.len} (${l.name})` });
    }
  }
  out.push({ ip: BEYOND_DEFAULT, what: 'a host beyond the default route' });
  return out;
}

export const rpFilterCheck: NodeScopeCheck = {
  name: 'rp-filter',
  describe: 'strict rp_filter on tunnel devices and on uplinks of asymmetric paths',
  scope: 'node',
  emits: ['rp-filter-strict-tunnel', 'rp-filter-strict-ingress'],
  onPath: true,
  needs: fixedNeeds(['sysctl', 'ip-addr', 'ip-route', 'ip-rule']),
  node(ctx, h, net) {
    const out: Finding[] = [];
    const tunnels = new Set(
      h.links.filter((l) => (l.kind === 'ipip' || l.kind === 'vxlan') && l.up).map((l) => l.name),
    );
    for (const t of tunnels) {
      const mode = rpFilter(h.sysctls, t);
      if (mode.value !== 1) continue;
      // The destination: one of this node's pods is what such traffic is for; any local address will do for the check.
      const dropped = lanSources(net, tunnels, podSide(ctx, h.name))
        .map((s) => ({ s, r: validateSource(net, { src: s.ip, dst: 0, iif: t, mark: 0, tos: 0 }) }))
        .filter((x) => !x.r.pass && x.r.reason !== 'martian-source');
      if (dropped.length === 0) continue;
      // A device without an IPv4 address fails reverse-path validation in loose mode too (fib_validate_source last_resort).
      const looseHelps = !dropped.some((d) => d.r.looseHelps === false);
      const value = looseHelps ? '2 (loose)' : '0 (off: it has no IPv4 address, so loose mode drops too)';
      out.push(
        finding('rp-filter-strict-tunnel', {
          node: h.name,
          summary: `${t} on ${h.name} is in strict rp_filter mode: traffic from ${dropped.map((d) => d.s.what).join(', ')} that reaches ${h.name} through ${t} (a LAN router sending the pod network to another node) is dropped, because the way back leaves by ${dropped[0]!.r.reverseDev ?? 'another device'}`,
          evidence: [
            ...mode.lines,
            ...dropped
              .slice(0, 2)
              .map(
                (d) =>
                  `reverse route for ${formatIpv4(d.s.ip)}: ${d.r.reverseRoute !== undefined ? renderRoute(d.r.reverseRoute) : 'none'}`,
              ),
          ],
          fix: `On ${h.name}: sysctl -w ${confKey(t, 'rp_filter')}=${value}${mode.lines.some((l) => l.startsWith('net.ipv4.conf.all.rp_filter = 1')) ? ` and net.ipv4.conf.all.rp_filter=${value.slice(0, 1)} (the kernel uses the larger of all and the device)` : ''}, persisted in /etc/sysctl.d/ (Calico sets it when it creates ${t}: prefer its own setting); or route the LAN to the node that owns each pod block (BGP peering).`,
        }),
      );
    }
    out.push(...strictUplinks(h, net, podSide(ctx, h.name)));
    return out;
  },
};

/** Uplinks (not tunnels, not pod devices) in strict mode that the way back to some LAN does not use. */
function strictUplinks(h: HostState, net: HostNet, side: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  const tunnels = new Set(h.links.filter((l) => l.kind === 'ipip' || l.kind === 'vxlan').map((l) => l.name));
  const uplinks = h.links.filter(
    (l) =>
      l.up && !tunnels.has(l.name) && isUplink(l, side) && (net.addresses.get(l.name) ?? []).some((a) => a.len < 32),
  );
  if (uplinks.length < 2) return out;
  for (const u of uplinks) {
    const mode = rpFilter(h.sysctls, u.name);
    if (mode.value !== 1) continue;
    // Only hosts beyond the default route: a host on another uplink's own network talks to that
    // uplink directly, and strict mode on every NIC is the default of several distributions.
    const others = lanSources(net, tunnels, side).filter((s) => s.ip === BEYOND_DEFAULT);
    const dropped = others
      .map((s) => ({ s, r: validateSource(net, { src: s.ip, dst: 0, iif: u.name, mark: 0, tos: 0 }) }))
      .filter((x) => !x.r.pass && x.r.reason !== 'martian-source');
    if (dropped.length === 0) continue;
    out.push(
      finding('rp-filter-strict-ingress', {
        node: h.name,
        summary: `${u.name} on ${h.name} is in strict rp_filter mode, but the way back to ${dropped.map((d) => d.s.what).join(', ')} leaves by ${dropped[0]!.r.reverseDev ?? 'another device'}: such traffic arriving on ${u.name} is dropped`,
        evidence: [
          ...mode.lines,
          ...dropped
            .slice(0, 2)
            .map(
              (d) =>
                `reverse route for ${formatIpv4(d.s.ip)}: ${d.r.reverseRoute !== undefined ? renderRoute(d.r.reverseRoute) : 'none'}`,
            ),
        ],
        fix: `On ${h.name}: sysctl -w ${confKey(u.name, 'rp_filter')}=2 (loose), persisted in /etc/sysctl.d/; or make the router use the uplink the default route leaves by.`,
      }),
    );
  }
  return out;
}
