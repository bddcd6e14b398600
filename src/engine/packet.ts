// The packet the engine walks through the kernel's path. Addresses are numbers (src/lib/ipv4.ts).
import type { Ipv4 } from '../lib/ipv4.ts';

/**
 * IP protocol of the packet. 'ipip' (IP protocol 4) is the outer header of an IPIP-encapsulated
 * packet, which iptables sees on the underlay (Calico's `-p ipencap` all-hosts rules).
 */
export type Protocol = 'tcp' | 'udp' | 'icmp' | 'ipip';

export interface Packet {
  src: Ipv4;
  dst: Ipv4;
  proto: Protocol;
  /** Ports for tcp/udp; for icmp both are 0 and `icmpType` says echo-request (8) or echo-reply (0). */
  sport: number;
  dport: number;
  icmpType?: number;
  /** skb->mark (fwmark), as MARK sets and `-m mark` / `ip rule fwmark` read it. */
  mark: number;
  /** Connection mark (ct->mark), as CONNMARK sets and `-m connmark` reads it. */
  connmark: number;
  /** Bytes on the wire at L3, for MTU checks. */
  length: number;
  /**
   * Don't Fragment. Absent: set, as Linux sends TCP and UDP with path-MTU discovery on
   * (net.ipv4.ip_no_pmtu_disc = 0). A VXLAN outer packet goes without it (the device's default `df unset`).
   */
  df?: boolean;
  /** For an encapsulated packet (VXLAN, IPIP): the packet inside. */
  inner?: Packet;
  /** VXLAN network identifier of an encapsulated packet. */
  vni?: number;
  /** VXLAN: the inner frame's destination MAC, from the sender's neighbour entry of the next hop. */
  innerMac?: string;
}
