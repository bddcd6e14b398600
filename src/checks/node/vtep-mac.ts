// A node's neighbour entries on a VXLAN device give each peer's VTEP address a MAC; the inner
// frame goes to that MAC, and the peer's VXLAN device drops a frame that is not addressed to its
// own MAC (eth_type_trans marks it PACKET_OTHERHOST, ip_rcv drops it: engine/tunnel.ts
// vtepMacMismatch). The MAC the peer really has is on its device (ip -d addr, when the peer was
// probed) and, for flannel, in the peer's backend-data annotation (VtepMAC), which is what the
// sender's flanneld programs from.
import { parseCidr4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { renderFdb, renderLink, renderNeighbor } from '../../model/render/iproute2.ts';
import type { HostState, Link, Neighbor } from '../../model/types.ts';
import type { CheckContext, WideScopeCheck } from '../check.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import { nodeInfo, podBlocks } from './ownership.ts';
import type { Block } from './ownership.ts';

const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';

/** What a peer's VTEP MAC is known from: its VXLAN device, or its flannel annotation. */
interface PeerMac {
  node: string;
  mac: string;
  /** Said only for a mismatch: every node asks for each of its N neighbours. */
  evidence(): string;
}

type VxlanDevices = Map<string, { node: string; link: Link }[]>;
const devicesByCtx = new WeakMap<CheckContext, VxlanDevices>();

/**
 * Every probed node's VXLAN devices with a MAC, by address, in node order: built once per run, as
 * every node asks it for each of its N neighbours (a search of every peer each time grew as N³).
 */
function vxlanDevices(ctx: CheckContext): VxlanDevices {
  let m = devicesByCtx.get(ctx);
  if (m !== undefined) return m;
  m = new Map();
  for (const [name, h] of ctx.model.hosts) {
    if (!ctx.has(name, ['ip-addr'])) continue;
    const links = new Map<string, Link>();
    for (const l of h.links) if (!links.has(l.name)) links.set(l.name, l);
    for (const a of h.addresses) {
      const link = links.get(a.dev);
      if (link?.kind !== 'vxlan' || link.mac === undefined) continue;
      const list = m.get(a.local);
      if (list === undefined) m.set(a.local, [{ node: name, link }]);
      else list.push({ node: name, link });
    }
  }
  devicesByCtx.set(ctx, m);
  return m;
}

/** The probed peer whose VXLAN device carries `ip`, with that device. */
function peerDevice(ctx: CheckContext, self: string, ip: string): { node: string; link: Link } | undefined {
  return vxlanDevices(ctx)
    .get(ip)
    ?.find((d) => d.node !== self);
}

const blocksByNet = new WeakMap<readonly Block[], Map<Ipv4, Block[]>>();

/** The blocks whose network address is `ip`, in list order; indexed once per analysis (each neighbour of each node asks). */
function blocksAt(ctx: CheckContext, ip: Ipv4 | undefined): readonly Block[] {
  const blocks = podBlocks(ctx);
  let m = blocksByNet.get(blocks);
  if (m === undefined) {
    m = new Map();
    for (const b of blocks) {
      const net = parseCidr4(b.cidr)!.net;
      const list = m.get(net);
      if (list === undefined) m.set(net, [b]);
      else list.push(b);
    }
    blocksByNet.set(blocks, m);
  }
  return ip === undefined ? [] : (m.get(ip) ?? []);
}

/** flannel's VTEP address of a node is its subnet's network address (flannel.1, /32); its MAC is in backend-data. */
function flannelPeer(ctx: CheckContext, self: string, ip: string): PeerMac | undefined {
  const block = blocksAt(ctx, parseIpv4(ip)).find((b) => b.node !== self);
  if (block === undefined) return undefined;
  const raw = nodeInfo(ctx, block.node)?.annotations[FLANNEL_BACKEND_DATA];
  if (raw === undefined) return undefined;
  let mac: unknown;
  try {
    mac = (JSON.parse(raw) as { VtepMAC?: unknown }).VtepMAC;
  } catch {
    return undefined;
  }
  return typeof mac === 'string'
    ? { node: block.node, mac, evidence: () => `Node ${block.node}: annotation ${FLANNEL_BACKEND_DATA}=${raw}` }
    : undefined;
}

/** The peer's VTEP MAC: its device's when it was probed (what the kernel compares), else flannel's annotation. */
function peerMac(ctx: CheckContext, self: string, ip: string): PeerMac | undefined {
  const dev = peerDevice(ctx, self, ip);
  if (dev !== undefined)
    return {
      node: dev.node,
      mac: dev.link.mac!,
      evidence: () => `${dev.node}: ${renderLink(dev.link)} link/ether ${dev.link.mac}`,
    };
  return flannelPeer(ctx, self, ip);
}

function usable(n: Neighbor): boolean {
  return n.lladdr !== undefined && !n.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE');
}

function judge(ctx: CheckContext, h: HostState): Finding[] {
  const out: Finding[] = [];
  const vxlan = new Set(h.links.filter((l) => l.kind === 'vxlan').map((l) => l.name));
  for (const n of h.neighbors) {
    if (!vxlan.has(n.dev) || !usable(n)) continue;
    const real = peerMac(ctx, h.name, n.dst);
    if (real === undefined || real.mac === n.lladdr || real.mac.toLowerCase() === n.lladdr!.toLowerCase()) continue;
    const peer = real.node;
    const fdb = h.fdb.filter((f) => f.dev === n.dev && f.mac.toLowerCase() === n.lladdr!.toLowerCase());
    out.push(
      finding('vtep-mac-mismatch', {
        node: h.name,
        summary: `${h.name} sends ${peer}'s VXLAN traffic (VTEP ${n.dst} on ${n.dev}) to MAC ${n.lladdr}, but ${peer}'s VTEP has MAC ${real.mac}: ${peer} drops every such frame as addressed to another host`,
        evidence: [`${h.name}: ${renderNeighbor(n)}`, ...fdb.map((f) => `${h.name}: ${renderFdb(f)}`), real.evidence()],
        fix: `On ${h.name}: ip neigh replace ${n.dst} lladdr ${real.mac} dev ${n.dev} nud permanent${fdb[0]?.dst !== undefined ? `; bridge fdb del ${n.lladdr} dev ${n.dev}; bridge fdb append ${real.mac} dev ${n.dev} dst ${fdb[0].dst}` : ''} — or restart the CNI agent on ${h.name} so it reprograms its peers.`,
      }),
    );
  }
  return out;
}

export const vtepMacCheck: WideScopeCheck = {
  name: 'vtep-mac',
  describe: "each VXLAN neighbour entry gives the peer's VTEP the MAC of the peer's VXLAN device",
  scope: 'pair',
  emits: ['vtep-mac-mismatch'],
  onPath: true,
  needs: () => ({ sections: ['ip-addr', 'ip-neigh', 'bridge-fdb'], objects: [] }),
  run(ctx) {
    return [...ctx.judged.values()].flatMap((h) => judge(ctx, h));
  },
};
