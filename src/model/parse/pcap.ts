// The packets of a pcap stream (tcpdump -w -) that carry an `--active` probe's marker
// (src/snapshot/active.ts): libpcap's file format (pcap-savefile(5): a 24-byte header whose
// magic gives the byte order and timestamp unit, then a 16-byte record header per packet) with the
// link types a capture on an underlay device gives: Ethernet (1), Linux cooked v1 (113) and raw
// IPv4 (101). Anything else, or a truncated stream, is reported, never guessed.
import { formatIpv4 } from '../../lib/ipv4.ts';

export interface MarkedPacket {
  run: number;
  id: number;
  src: string;
  dst: string;
  /** IPv4 total length. */
  length: number;
}

export interface PcapParse {
  packets: MarkedPacket[];
  /** Why (part of) the stream could not be read. */
  problem?: string;
}

const LINK_OFFSET: Record<number, number> = { 1: 14, 113: 16, 101: 0 };

/** Where the marker starts in an IPv4 packet of this protocol, per probe kind; undefined: no probe. */
function markerOffset(ip: Buffer): number | undefined {
  const ihl = (ip[0]! & 0x0f) * 4;
  const proto = ip[9];
  if (proto === 17) return ihl + 16; // UDP 8 + VXLAN 8
  if (proto === 4) return ihl + 20 + 8; // inner IPv4 (no options) + ICMP 8
  if (proto === 1) return ihl + 8; // ICMP 8
  return undefined;
}

export function parsePcap(data: Buffer, marker: number): PcapParse {
  const packets: MarkedPacket[] = [];
  if (data.length === 0) return { packets, problem: 'empty capture (no pcap header)' };
  if (data.length < 24) return { packets, problem: `truncated pcap header (${data.length} bytes)` };
  const magic = data.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d)
    return { packets, problem: `not a pcap stream (magic 0x${magic.toString(16)})` };
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const link = u32(20) & 0x0fffffff;
  const off = LINK_OFFSET[link];
  if (off === undefined) return { packets, problem: `link type ${link} is not read` };
  let at = 24;
  while (at < data.length) {
    if (at + 16 > data.length) return { packets, problem: 'truncated record header' };
    const caplen = u32(at + 8);
    const body = data.subarray(at + 16, at + 16 + caplen);
    if (body.length < caplen) return { packets, problem: 'truncated packet' };
    at += 16 + caplen;
    // Cooked v1 and Ethernet give the EtherType (at 14 resp. 12); IPv4 only.
    if (link === 1 && body.readUInt16BE(12) !== 0x0800) continue;
    if (link === 113 && body.readUInt16BE(14) !== 0x0800) continue;
    const ip = body.subarray(off);
    if (ip.length < 20 || ip[0]! >> 4 !== 4) continue;
    const m = markerOffset(ip);
    if (m === undefined || ip.length < m + 8 || ip.readUInt32BE(m) !== marker) continue;
    packets.push({
      run: ip.readUInt16BE(m + 4),
      id: ip.readUInt16BE(m + 6),
      src: formatIpv4(ip.readUInt32BE(12)),
      dst: formatIpv4(ip.readUInt32BE(16)),
      length: ip.readUInt16BE(2),
    });
  }
  return { packets };
}
