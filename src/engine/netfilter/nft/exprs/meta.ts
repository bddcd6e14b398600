// `meta` expressions (src/meta.c): protocol, devices, the packet mark, the packet type and the
// owner of the packet's socket.
import type { Unknown } from '../../compiled.ts';
import type { Expr, ExprCompiler, NftCtx } from '../types.ts';
import { ABSENT, OPAQUE, PROTO_NUMBER, type Value } from '../value.ts';

// PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST (include/uapi/linux/if_packet.h).
const HOST = 0;
const BROADCAST = 1;
const MULTICAST = 2;

/**
 * `meta pkttype` (net/netfilter/nft_meta.c NFT_META_PKTTYPE): skb->pkt_type. A received packet got
 * it from its link-layer destination (eth_type_trans), and ip_rcv_core dropped those for another
 * host, so a unicast one is `host`; multicast and limited broadcast are sent to the group and
 * broadcast MACs. A packet the host sends starts as PACKET_HOST (a zeroed skb) until
 * ip_mc_output loops a copy back (PACKET_LOOPBACK, read as broadcast/multicast by
 * nft_meta_get_eval_pkttype_lo). Which MAC carried a subnet-directed broadcast is the sender's choice.
 */
function pktType(c: NftCtx): Value | Unknown {
  const d = c.packet.dst;
  if (c.hook === 'OUTPUT') return HOST;
  const group = d >>> 28 === 0xe ? MULTICAST : d === 0xffffffff ? BROADCAST : undefined;
  if (c.inIface === '' && c.hook === 'POSTROUTING')
    return group === undefined
      ? HOST
      : { unknown: 'meta pkttype of a multicast or broadcast the host sends: the looped copy differs' };
  if (group !== undefined) return group;
  if (c.env.addrType(d) === 'BROADCAST')
    return { unknown: 'meta pkttype of a directed broadcast: the link-layer destination the sender chose decides' };
  return HOST;
}

/**
 * `meta skuid` / `meta skgid` (net/netfilter/nft_meta.c nft_meta_get_eval_skugid): the owner of
 * the packet's full socket; without one (`!sk || !sk_fullsock(sk)`) the expression breaks the
 * rule (NFT_BREAK). A packet the host forwards has none at prerouting, forward and postrouting
 * (a tc program's bpf_sk_assign is Cilium's datapath, flagged apart). A packet the host sends
 * carries its sender's socket, and one it receives may get its socket at input from early
 * demux (ip_rcv_finish_core: established TCP, connected UDP): whose they are is not collected.
 */
function socketOwner(key: string): Expr {
  const why = `meta ${key} reads the owner of the packet's socket, which is not collected`;
  return {
    kind: 'int',
    socket: why,
    eval: (c) => {
      if (c.hook === 'OUTPUT' || (c.hook === 'POSTROUTING' && c.inIface === ''))
        return { unknown: `${why} (a packet the host sends)` };
      if (c.hook === 'INPUT' && (c.packet.proto === 'tcp' || c.packet.proto === 'udp'))
        return { unknown: `${why} (at input, early demux may have attached the receiving socket)` };
      return ABSENT;
    },
  };
}

export const compileMeta: ExprCompiler = (body): Expr | Unknown => {
  const key = ((body ?? {}) as Record<string, unknown>)['key'];
  switch (key) {
    case 'l4proto':
      return { kind: 'proto', eval: (c) => PROTO_NUMBER[c.packet.proto] ?? OPAQUE };
    case 'nfproto':
      // Only IPv4 packets are walked (NFPROTO_IPV4 = 2).
      return { kind: 'nfproto', eval: () => 2, constant: true };
    case 'iifname':
    case 'iif':
      // `iif` compares the ifindex nft resolved at load time; the name stands for it.
      return { kind: 'ifname', eval: (c) => (c.inIface === '' ? ABSENT : c.inIface) };
    case 'oifname':
    case 'oif':
      return { kind: 'ifname', eval: (c) => (c.outIface === '' ? ABSENT : c.outIface) };
    case 'mark':
      return { kind: 'int', eval: (c) => c.packet.mark };
    case 'pkttype':
      return { kind: 'pkttype', eval: pktType };
    case 'skuid':
    case 'skgid':
      return socketOwner(key);
    default:
      return { unknown: `meta ${String(key)} is not modelled` };
  }
};
