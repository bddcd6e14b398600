// The packet a flow command sends: protocol and port from the flags, a fixed ephemeral source port
// so that the same question always gives the same trace.
import { parseIpv4 } from '../../lib/ipv4.ts';
import { InputError } from '../../lib/errors.ts';
import type { Packet, Protocol } from '../../engine/packet.ts';

export type FlowProtocol = Extract<Protocol, 'tcp' | 'udp' | 'icmp'>;

/** Linux's default ephemeral range starts at 32768 (net.ipv4.ip_local_port_range); any fixed port in it will do. */
export const CLIENT_PORT = 40000;

/** tcp when a port is given, icmp (echo) otherwise, unless --protocol says. */
export function flowProtocol(protocol: string | undefined, port: number | undefined): FlowProtocol {
  const p = protocol ?? (port !== undefined ? 'tcp' : 'icmp');
  if (p !== 'tcp' && p !== 'udp' && p !== 'icmp')
    throw new InputError(`--protocol must be tcp, udp or icmp, not ${JSON.stringify(p)}`);
  if (p !== 'icmp' && port === undefined) throw new InputError(`--protocol ${p} needs --port`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new InputError(`--port must be 1-65535, not ${port}`);
  return p;
}

/** The size and Don't Fragment bit a flow command asks about (--size, --no-df). */
export interface PacketShape {
  /** Bytes of the IP packet, headers included (ping -s N sends N + 28). */
  size?: number;
  /** Don't Fragment; default set, as Linux sends TCP and UDP (path-MTU discovery). */
  df?: boolean;
}

/** An echo request as ping sends it: 20 bytes of IP, 8 of ICMP, 56 of data. */
export const DEFAULT_PACKET_SIZE = 84;

export function flowPacket(
  src: string,
  dst: string,
  proto: FlowProtocol,
  port: number | undefined,
  shape: PacketShape = {},
): Packet {
  const s = parseIpv4(src);
  const d = parseIpv4(dst);
  if (s === undefined || d === undefined) throw new InputError(`not an IPv4 address: ${s === undefined ? src : dst}`);
  const p: Packet = {
    src: s,
    dst: d,
    proto,
    sport: proto === 'icmp' ? 0 : CLIENT_PORT,
    dport: proto === 'icmp' ? 0 : (port ?? 0),
    mark: 0,
    connmark: 0,
    length: shape.size ?? DEFAULT_PACKET_SIZE,
    ...(shape.df !== undefined ? { df: shape.df } : {}),
  };
  if (proto === 'icmp') p.icmpType = 8;
  return p;
}

export function describeFlow(proto: FlowProtocol, port: number | undefined): string {
  return proto === 'icmp' ? 'icmp echo' : `${proto}/${port}`;
}

/** The shape fields of a query, as flowPacket takes them. */
export function shapeOf(q: PacketShape): PacketShape {
  return { ...(q.size !== undefined ? { size: q.size } : {}), ...(q.df !== undefined ? { df: q.df } : {}) };
}
