// The packets of one flow (two pod addresses) in a pcap stream, each classified by direction,
// through the encapsulations a capture point on the predicted path shows: plain IPv4 (a pod's
// veth, a tunnel device, a routed underlay), VXLAN (RFC 7348: UDP to a VXLAN port, an 8-byte
// header whose flags byte has I = 0x08, then the inner Ethernet frame) and IPIP (IP protocol 4,
// the inner IPv4 header right after the outer one).
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import type { FlowPacket } from '../../snapshot/active-flow.ts';
import { pcapIpv4 } from './pcap.ts';

function inner(ip: Buffer, vxlanPorts: ReadonlySet<number>): { ip: Buffer; outer?: string } {
  const ihl = (ip[0]! & 0x0f) * 4;
  const outer = `${formatIpv4(ip.readUInt32BE(12))} → ${formatIpv4(ip.readUInt32BE(16))}`;
  if (ip[9] === 4 && ip.length >= ihl + 20) return { ip: ip.subarray(ihl), outer: `IPIP ${outer}` };
  if (ip[9] === 17 && ip.length >= ihl + 8 + 8 + 14 + 20) {
    const udp = ip.subarray(ihl);
    const eth = udp.subarray(16);
    if (vxlanPorts.has(udp.readUInt16BE(2)) && (udp[8]! & 0x08) !== 0 && eth.readUInt16BE(12) === 0x0800)
      return { ip: eth.subarray(14), outer: `VXLAN ${outer}` };
  }
  return { ip };
}

/** The packets between the ends of one of `pairs` (as sent; after NAT); any other is left out. */
export function flowPackets(
  data: Buffer,
  pairs: readonly { src: string; dst: string }[],
  vxlanPorts: readonly number[],
): { packets: FlowPacket[]; problem?: string } {
  const { packets: ips, problem } = pcapIpv4(data);
  const ends = pairs.map((x) => [parseIpv4(x.src), parseIpv4(x.dst)] as const);
  const ports = new Set(vxlanPorts);
  const packets: FlowPacket[] = [];
  for (const raw of ips) {
    const { ip, outer } = inner(raw, ports);
    if (ip.length < 20 || ip[0]! >> 4 !== 4) continue;
    const [s, d] = [ip.readUInt32BE(12), ip.readUInt32BE(16)];
    const direction = ends.some(([a, b]) => s === a && d === b)
      ? 'forward'
      : ends.some(([a, b]) => s === b && d === a)
        ? 'reply'
        : undefined;
    if (direction === undefined) continue;
    packets.push(outer !== undefined ? { direction, outer } : { direction });
  }
  return problem !== undefined ? { packets, problem } : { packets };
}
