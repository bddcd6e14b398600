// Server side of RFC 6455, enough for the exec channel protocol: the opening handshake with
// subprotocol choice, unmasked binary frames out, masked frames in (data, close, ping), and a
// send() that reports backpressure so a 25 MiB dump is not buffered whole.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export class WsConnection {
  private buf = Buffer.alloc(0);
  private closed = false;
  onMessage: (data: Buffer) => void = () => undefined;
  onClose: () => void = () => undefined;

  constructor(
    readonly socket: Duplex,
    readonly protocol: string,
  ) {
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private frame(opcode: number, payload: Buffer): Buffer {
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    if (n >= 126 && n < 65536) {
      head[0] = 0x80 | opcode;
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else if (n >= 65536) {
      head[0] = 0x80 | opcode;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    return Buffer.concat([head, payload]);
  }

  /** Sends one binary message; false means the socket buffer is full (wait for 'drain'). */
  send(data: Buffer): boolean {
    if (this.closed) return true;
    return this.socket.write(this.frame(0x2, data));
  }

  close(code = 1000): void {
    if (this.closed) return;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code, 0);
    this.socket.write(this.frame(0x8, p));
    this.socket.end();
    this.finish();
  }

  private receive(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const total = off + (masked ? 4 : 0) + len;
      if (this.buf.length < total) return;
      const mask = masked ? this.buf.subarray(off, off + 4) : undefined;
      const payload = Buffer.from(this.buf.subarray(off + (masked ? 4 : 0), total));
      if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      const opcode = this.buf[0]! & 0x0f;
      this.buf = this.buf.subarray(total);
      if (opcode === 0x8) {
        this.close();
        return;
      }
      if (opcode === 0x9) this.socket.write(this.frame(0xa, payload));
      else if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) this.onMessage(payload);
    }
  }
}

/** Completes the opening handshake, choosing the client's first protocol the server supports. */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  supported: readonly string[],
): WsConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const protocol = offered.find((p) => supported.includes(p));
  if (typeof key !== 'string' || protocol === undefined) return undefined;
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${accept}`,
      `Sec-WebSocket-Protocol: ${protocol}`,
      '',
      '',
    ].join('\r\n'),
  );
  return new WsConnection(socket, protocol);
}
