// The packet walk: a packet through the kernel's receive, forward and output paths of each
// host, in the kernel's order, across links and tunnels, until it is delivered or dies. This file
// holds the entry points; each stage is a module of walk/.
//
//   receive:  PREROUTING → input route (martians, fib, forwarding, rp_filter) → INPUT → deliver/decap
//                                                                             → FORWARD → POSTROUTING → transmit
//   output:   route (source selection) → OUTPUT → (re-route) → POSTROUTING → transmit
//   transmit: VXLAN/IPIP encapsulation, or the neighbour on the link → the next host's receive
//
// References: net/ipv4/ip_input.c, route.c (ip_route_input_slow, ip_route_output_key_hash),
// ip_forward.c, ip_output.c, fib_frontend.c (fib_validate_source), drivers/net/vxlan, ipip.c.
import { formatIpv4 } from '../lib/ipv4.ts';
import type { CtTables } from './conntrack.ts';
import type { Packet } from './packet.ts';
import type { Trace } from './trace.ts';
import { unresolvedPodGateway } from './pod-gateway.ts';
import { addressHolder, directEntry, externalEntry, podAttachment } from './world.ts';
import type { ExternalEndpoint, World } from './world.ts';
import { NEEDS } from './data-gaps.ts';
import { enterable, gapOn, unknownWithout } from './walk/gaps.ts';
import { deliverLocal } from './walk/local-delivery.ts';
import { localOut } from './walk/output.ts';
import { receive } from './walk/receive.ts';
import { die } from './walk/state.ts';
import type { Ctx, Endpoint, EngineOptions, Leaf, Stages, State } from './walk/state.ts';
import { podEgressTooBig, postrouting } from './walk/transmit.ts';
import { onBridgeLink, podPort } from './bridge.ts';

export type { Endpoint, EngineOptions, Leaf } from './walk/state.ts';

const STAGES: Stages = { receive, localOut, deliverLocal, postrouting };

function defaults(o: EngineOptions): Required<EngineOptions> {
  return { maxHops: 32, ...o };
}

function initial(direction: Trace['direction'], ct: CtTables): State {
  return { direction, hops: [], branch: [], ct, depth: 0 };
}

/** The source's node is not in the snapshot: where the packet goes is unknown; `evidence` says what points there. */
function notProbed(st: State, node: string, detail: string, evidence: string[]): Leaf[] {
  return [die(st, node, 'enter', 'unknown', { kind: 'not-probed', node }, detail, evidence)];
}

/** Sends `p` from endpoint `from` and walks it to its fate. */
export function send(
  world: World,
  opts: EngineOptions,
  from: Endpoint,
  p: Packet,
  direction: Trace['direction'] = 'forward',
  ct: CtTables = new Map(),
): Leaf[] {
  const ctx: Ctx = { world, opt: defaults(opts), stages: STAGES };
  const st = initial(direction, ct);
  switch (from.kind) {
    case 'host': {
      const h = world.hosts.get(from.host);
      if (h === undefined)
        return notProbed(st, from.host, `${from.host} was not probed`, [`${from.host}: no state in the snapshot`]);
      return localOut(ctx, st, h, p);
    }
    case 'pod': {
      const node = world.hosts.get(from.pod.node);
      if (node === undefined)
        return notProbed(st, from.pod.node, `pod ${from.pod.name} runs on ${from.pod.node}, which was not probed`, [
          `pod ${from.pod.name} ${formatIpv4(from.pod.ip)}: node ${from.pod.node}`,
        ]);
      const blocked = enterable(ctx, st, node);
      if (blocked !== undefined) return [blocked];
      const at = podAttachment(world, from.pod);
      const routeGap = at === undefined ? gapOn(node, NEEDS.routing) : undefined;
      if (routeGap !== undefined)
        return [unknownWithout(st, routeGap, 'enter', `which device pod ${from.pod.name} sits behind`)];
      if (at === undefined)
        return [
          die(
            st,
            from.pod.node,
            'enter',
            'unknown',
            { kind: 'not-modelled' },
            `no route on ${from.pod.node} to pod ${from.pod.name} (${formatIpv4(from.pod.ip)}): cannot tell which device it sits behind`,
            [],
          ),
        ];
      // Without the node's routes or sysctls the check is not made; the walk's own lookups say unknown.
      const gw =
        gapOn(node, [...NEEDS.routing, ...NEEDS.sysctl]) === undefined
          ? unresolvedPodGateway(at.host, at.dev, from.pod.ip, world.podGateway)
          : undefined;
      if (gw !== undefined)
        return [
          die(
            st,
            from.pod.node,
            'neighbor',
            'dropped',
            { kind: 'no-neighbor' },
            `pod ${from.pod.name}: ${gw.why}`,
            gw.evidence,
            at.dev,
          ),
        ];
      const veth = at.host.links.get(at.dev)?.kind === 'bridge' ? podPort(at.host, at.dev, from.pod.ip)?.port : at.dev;
      const tooBig = veth !== undefined ? podEgressTooBig(at.host, veth, p, from.pod.name) : undefined;
      if (tooBig !== undefined)
        return [die(st, from.pod.node, 'enter', 'dropped', tooBig.reason, tooBig.detail, tooBig.evidence, veth)];
      // A pod on a bridge sends through its port: the bridge may refuse to send a frame back out of it.
      const bridged =
        at.host.links.get(at.dev)?.kind === 'bridge'
          ? {
              ...st,
              bridgeIngress: {
                host: at.host.name,
                bridge: at.dev,
                podIp: from.pod.ip,
                onLink: onBridgeLink(at.host, at.dev, p.dst),
              },
            }
          : st;
      // br_netfilter hands the frame to iptables with the port it came in on (-m physdev).
      const port = bridged !== st ? veth : undefined;
      return receive(ctx, bridged, at.host, at.dev, p, port);
    }
    case 'external': {
      const direct = directEntry(world, from.external, p.dst);
      if (direct !== undefined && 'unseen' in direct) {
        const decision = `whether ${formatIpv4(p.dst)}, where ${from.external.name} sends it, is an address`;
        return direct.gap !== undefined
          ? [unknownWithout(st, direct.gap, 'enter', decision)]
          : notProbed(st, direct.unseen, `${formatIpv4(p.dst)} is node ${direct.unseen}'s, which was not probed`, [
              `Node ${direct.unseen}: InternalIP ${formatIpv4(p.dst)}`,
            ]);
      }
      const at = direct ?? externalEntry(world, from.external);
      // Where it enters is read from the nodes' addresses and routes: a node without them may be the one.
      const entryGap =
        at === undefined
          ? [...world.hosts.values()]
              .filter((h) => from.external.entry === undefined || h.name === from.external.entry.host)
              .map((h) => gapOn(h, [...NEEDS.links, ...NEEDS.routing]))
              .find((g) => g !== undefined)
          : undefined;
      if (entryGap !== undefined)
        return [unknownWithout(st, entryGap, 'enter', `where ${from.external.name} enters the cluster`)];
      if (at === undefined)
        return [
          die(
            st,
            from.external.name,
            'enter',
            'unknown',
            { kind: 'not-modelled' },
            `no probed node is on the link of ${from.external.name} and none was named with --via`,
            [`${from.external.name}: ${formatIpv4(from.external.ip)}, in no probed node's connected subnets`],
          ),
        ];
      return receive(ctx, st, at.host, at.dev, p);
    }
  }
}

export function replyPacket(p: Packet): Packet {
  const r: Packet = { ...p, src: p.dst, dst: p.src, sport: p.dport, dport: p.sport, mark: 0, connmark: 0 };
  if (p.proto === 'icmp') r.icmpType = 0;
  delete r.inner;
  return r;
}

/** The reply of a delivered forward leaf, walked back. */
export function reply(world: World, opts: EngineOptions, leaf: Leaf): Leaf[] {
  const ep = leaf.endpoint; // the reply starts where the forward packet was delivered
  if (ep === undefined || leaf.packet === undefined) return [];
  const p = replyPacket(leaf.packet);
  if (ep.kind === 'external') {
    // The external host answers through its router; with the reply's destination on its own link
    // (a node address) it goes straight there, otherwise to the node the LAN routes the pod
    // network to (--via).
    const held = addressHolder(world, p.dst);
    if (held !== undefined && !('unseen' in held)) {
      const ext: ExternalEndpoint = { ...ep.external, entry: { host: held.host.name, dev: held.dev } };
      return send(world, opts, { kind: 'external', external: ext }, p, 'reply', leaf.ct);
    }
    // Not known to be no node's: the walk's own entry (directEntry) names the gap.
    if (held !== undefined)
      return send(
        world,
        opts,
        { kind: 'external', external: { ...ep.external, entry: undefined } },
        p,
        'reply',
        leaf.ct,
      );
    // An answer to a pod (no source NAT on the way out) goes to the external host's router, which
    // the snapshot does not hold: unless its route is given, where it enters is not known.
    if (ep.external.entry === undefined)
      return [
        die(
          initial('reply', leaf.ct),
          ep.external.name,
          'enter',
          'unknown',
          { kind: 'not-modelled' },
          `${ep.external.name} answers to ${formatIpv4(p.dst)}, no node's address: whether its router routes it to a node, and to which, is not in the snapshot (name the node with --via)`,
          [`no node holds ${formatIpv4(p.dst)}, and no --via names the node its router sends it to`],
        ),
      ];
  }
  return send(world, opts, ep, p, 'reply', leaf.ct);
}
