// Local delivery, after INPUT: a tunnel endpoint decapsulates and the inner packet is received
// again (ipip.c, vxlan.c), an IPVS virtual server picks a real server (ip_vs_core.c), anything
// else is delivered to the host.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import { itemSaid, said } from '../../model/said.ts';
import { newView } from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import { ipvsGap } from '../data-gaps.ts';
import { findVirtualServer, scheduleNew } from '../ipvs.ts';
import type { Packet } from '../packet.ts';
import { decapsulator, vtepMacMismatch } from '../tunnel.ts';
import { conntrackOut, leaveHost, recordEntry } from './conntrack-steps.ts';
import { unknownWithout } from './gaps.ts';
import { describePacket, die, end, hop, seen, withEffect } from './state.ts';
import type { Ctx, Leaf, State } from './state.ts';

export function deliverLocal(ctx: Ctx, st0: State, h: HostNet, dev: string, p0: Packet): Leaf[] {
  const { st, p } = conntrackOut(st0, h, p0, dev);
  // Tunnel endpoints: the receive handlers of ipip.c and vxlan.c take the packet after LOCAL_IN.
  if (p.inner !== undefined) {
    const tun = decapsulator(h, p);
    if (tun === undefined) {
      return [
        die(
          st,
          h.name,
          'decapsulate',
          'dropped',
          { kind: 'no-decapsulation' },
          `${describePacket(p)} arrives but no ${p.proto === 'ipip' ? 'IPIP' : 'VXLAN'} device here accepts it`,
          [],
          dev,
        ),
      ];
    }
    const wrongMac = p.proto === 'udp' ? vtepMacMismatch(h, tun, p) : undefined;
    if (wrongMac !== undefined)
      return [
        die(
          st,
          h.name,
          'decapsulate',
          'dropped',
          { kind: 'vtep-mac-mismatch' },
          `${tun} takes the VXLAN packet, but its inner frame is addressed to ${wrongMac.frame}, not to ${tun}'s MAC ${wrongMac.device}: the kernel marks it for another host and drops it (eth_type_trans, ip_rcv)`,
          [
            said`${{ link: h.links.get(tun)! }} link/ether ${wrongMac.device}`,
            `inner frame: destination MAC ${wrongMac.frame} (the sender's neighbour entry)`,
          ],
          tun,
        ),
      ];
    const s2 = hop(
      recordEntry(st, h, p),
      h.name,
      'decapsulate',
      `decapsulated on ${tun}: ${describePacket(p.inner)}`,
      [itemSaid({ link: h.links.get(tun)! })],
      tun,
    );
    return ctx.stages.receive(ctx, leaveHost(s2), h, tun, p.inner);
  }
  // IPVS takes a packet for one of its virtual servers at LOCAL_IN (ip_vs_core.c ip_vs_in_hook).
  const ipvsMissing = ctx.world.datapath?.get(h.name)?.ipvs === true ? ipvsGap(h.state) : undefined;
  if (ipvsMissing !== undefined)
    return [unknownWithout(st, ipvsMissing, 'ipvs', `whether IPVS takes ${formatIpv4(p.dst)}:${p.dport}`, dev)];
  const ipvs = findVirtualServer(h.state.ipvs, p);
  if (ipvs !== undefined) return ipvsSchedule(ctx, st, h, p, ipvs);
  const s2 = recordEntry(st, h, p);
  const what = `delivered to ${h.name} (${formatIpv4(p.dst)})`;
  const leaf = end(withEffect(hop(s2, h.name, 'deliver', what, [], dev), { kind: 'delivered', what }), 'delivered', {
    seenAs: seen(p),
    deliveredTo: h.name,
  });
  return [{ ...leaf, endpoint: { kind: 'host', host: h.name, ip: p.dst }, packet: p }];
}

/** kube-proxy IPVS: the virtual server (bound on kube-ipvs0) picks a real server; each is a branch. */
function ipvsSchedule(ctx: Ctx, st: State, h: HostNet, p: Packet, svc: (typeof h.state.ipvs)[number]): Leaf[] {
  const plan = scheduleNew(svc, formatIpv4(p.src));
  if (plan.kind === 'not-modelled')
    return [die(st, h.name, 'ipvs', 'unknown', { kind: 'not-modelled' }, plan.detail, [svc.raw])];
  const assumed: State = { ...st, branch: [...st.branch, ...plan.assumed] };
  if (plan.kind === 'none')
    return [
      die(assumed, h.name, 'ipvs', 'rejected', { kind: 'ipvs-no-real-server' }, plan.detail, [
        svc.raw,
        ...svc.realServers.map((r) => r.raw),
      ]),
    ];
  return plan.servers.flatMap((rs, i) => {
    // A real server without a port (fwmark services) keeps the packet's (ip_vs_nat_xmit: cp->dport).
    const q: Packet = { ...p, dst: parseIpv4(rs.address) ?? p.dst, dport: rs.port === 0 ? p.dport : rs.port };
    let s: State = {
      ...assumed,
      branch: [...assumed.branch, `IPVS real server ${i + 1}/${plan.servers.length}: ${rs.address}:${rs.port}`],
    };
    const what = `IPVS ${svc.address}:${svc.port} → ${rs.address}:${q.dport}`;
    s = withEffect(hop(s, h.name, 'ipvs', what, [svc.raw, rs.raw]), { kind: 'rewritten', what });
    s = { ...s, ctView: { ...(s.ctView ?? newView(p)), dnat: true } };
    // ip_vs_nat_xmit sends the packet through LOCAL_OUT and on to POSTROUTING.
    return ctx.stages.localOut(ctx, s, h, q, { dnatFrom: p });
  });
}
