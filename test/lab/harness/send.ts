// Ground truth from real packets: one probe packet (UDP datagram, TCP connection, ICMP echo)
// from one host's agent, with every agent listening, and an account of what really arrived.
import { randomBytes } from 'node:crypto';
import type { AgentClient, Proto, RecvEvent } from './agent-client.ts';
import { LabCommandError, LabTopologyError } from './errors.ts';

export const DEFAULT_PORT = 7777;
/** Long enough for any lab path (sub-millisecond RTTs), short enough for hundreds of failing sends. */
export const DEFAULT_TIMEOUT_MS = 400;

export interface SendOptions {
  /** Sending host. */
  from: string;
  /** Destination address. */
  dst: string;
  proto: Proto;
  /** Destination port (UDP/TCP); default 7777. Every host listens on it. */
  dport?: number;
  /** Source address to bind (must be local to `from`); default: the kernel chooses. */
  srcAddr?: string;
  /** Source port to bind (UDP/TCP); default: ephemeral. */
  sport?: number;
  /** How long to wait for the answer; default 400 ms. */
  timeoutMs?: number;
  /** More ports every host listens on, for a DNAT that also rewrites the port. */
  listen?: readonly number[];
}

export interface SendResult {
  /** The probe reached a socket on some host (for TCP: a listener got the SYN, see below). */
  forwardDelivered: boolean;
  /** The host whose socket got it (after any DNAT: possibly not the owner of `dst`). */
  receivedBy?: string;
  /** Every host that got it, when more than one did. */
  receivedByAll?: string[];
  /** Source address as the receiving socket saw it (after SNAT/MASQUERADE). */
  seenSrc?: string;
  seenSrcPort?: number;
  /** Address the receiving socket was bound to (UDP: the query's destination after DNAT; TCP: the connection's local address). */
  seenDst?: string;
  /**
   * UDP: the echo came back to the sending socket. TCP: the connection was established (the
   * SYN-ACK made it back). ICMP: ping got its echo reply.
   */
  replyDelivered: boolean;
  /** Source address of the reply as the sender saw it (UDP, ICMP). */
  replyFrom?: string;
  /** Local error at the sender (ENETUNREACH, EADDRNOTAVAIL, ECONNREFUSED, ping's message, …). */
  error?: string;
  /** ICMP only: false when no raw-socket witness could run, so forwardDelivered only mirrors the reply. */
  witnessed?: boolean;
}

interface Receipt extends RecvEvent {
  host: string;
}

/** Collects `recv` events from all agents by token. */
export class ReceiptBook {
  private readonly byToken = new Map<string, Receipt[]>();
  private readonly waiters = new Map<string, () => void>();

  add(host: string, e: RecvEvent): void {
    const list = this.byToken.get(e.token) ?? [];
    list.push({ ...e, host });
    this.byToken.set(e.token, list);
    this.waiters.get(e.token)?.();
  }

  /** Resolves once a receipt for `token` is in, or after `ms`. */
  async waitFor(token: string, ms: number): Promise<void> {
    if (this.byToken.has(token)) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.waiters.set(token, resolve);
    });
    clearTimeout(timer);
    this.waiters.delete(token);
  }

  take(token: string): Receipt[] {
    const list = this.byToken.get(token) ?? [];
    this.byToken.delete(token);
    return list;
  }
}

interface SynRecvEntry {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
}

/** SYN_RECV request sockets on every host, on the ports the agents listen on. */
async function synRecvEntries(
  agents: readonly AgentClient[],
  ports: readonly number[],
): Promise<(SynRecvEntry & { host: string })[]> {
  const answers = await Promise.all(
    agents.map(async (a) => ({ host: a.host, r: await a.request({ op: 'synRecv', ports }) })),
  );
  return answers.flatMap(({ host, r }) =>
    ((r['entries'] as SynRecvEntry[] | undefined) ?? []).map((e) => ({ ...e, host })),
  );
}

/**
 * TCP source ports for sends, cycling through 10000 ports below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range starts at 32768), so the kernel never hands them out itself and
 * a port comes back only after 10000 sends — long after the SYN_RECV entries of an earlier
 * failed handshake (about a minute, tcp_synack_retries) could be mistaken for this one's.
 */
export class SourcePorts {
  private n = Math.floor(Math.random() * 10_000);
  next(): number {
    this.n = (this.n + 1) % 10_000;
    return 20_000 + this.n;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export async function sendProbe(
  agents: ReadonlyMap<string, AgentClient>,
  book: ReceiptBook,
  ports: SourcePorts,
  o: SendOptions,
): Promise<SendResult> {
  const sender = agents.get(o.from);
  if (sender === undefined) throw new LabTopologyError(`send: unknown host "${o.from}"`);
  const all = [...agents.values()];
  const dport = o.dport ?? DEFAULT_PORT;
  const listenPorts = [...new Set([dport, ...(o.listen ?? [])])];
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let witnessed = true;
  if (o.proto === 'icmp') {
    const rs = await Promise.all(all.map((a) => a.request({ op: 'icmpListen' })));
    witnessed = rs.every((r) => r['ok'] === true);
  } else {
    // Idempotent; for UDP it also binds addresses added since the last send. A host that cannot
    // listen would answer with a port-unreachable and pass for one the packet never reached.
    const rs = await Promise.all(
      all.map(async (a) => ({
        host: a.host,
        r: await a.request({ op: 'listen', proto: o.proto, ports: listenPorts }),
      })),
    );
    const errors = rs.flatMap(({ host, r }) =>
      ((r['errors'] as string[] | undefined) ?? []).map((e) => `${host}: ${e}`),
    );
    if (errors.length > 0) {
      throw new LabCommandError({
        step: 'send',
        command: `listen ${o.proto} ${listenPorts.join(',')} on every host`,
        exitCode: null,
        stderr: errors.join('\n'),
      });
    }
  }
  const token = randomBytes(8).toString('hex');
  let r: Record<string, unknown> = {};
  for (let attempt = 0; attempt < 3; attempt++) {
    const sport = o.sport ?? (o.proto === 'tcp' ? ports.next() : undefined);
    r = await sender.request(
      { op: o.proto, token, dst: o.dst, dport, src: o.srcAddr, sport, timeoutMs },
      timeoutMs + 5_000,
    );
    if (r['error'] !== 'EADDRINUSE' || o.sport !== undefined) break;
  }
  // Each agent writes its events before its answer to this ping on the same pipe, so after
  // this every event caused by the probe has been read…
  await Promise.all(all.map((a) => a.request({ op: 'ping' })));
  // …except ICMP: the kernel answers the echo while the witness (socat, another pipe) may not
  // have been read yet. A reply proves an echo request was delivered, so wait for its witness.
  if (o.proto === 'icmp' && witnessed && r['replied'] === true) await book.waitFor(token, 2_000);
  let got: Receipt[] = book.take(token);

  if (o.proto === 'tcp' && got.length === 0 && typeof r['localPort'] === 'number') {
    // The SYN reached a listener but the handshake did not complete (SYN-ACK lost on the way
    // back): the kernel holds a request socket with the source it saw (net/ipv4/tcp_input.c
    // tcp_conn_request) for about a minute. Matched by our source port, which NAT normally
    // keeps and which no other send of this lab used recently (SourcePorts).
    for (const e of await synRecvEntries(all, listenPorts)) {
      if (e.remotePort !== r['localPort']) continue;
      got.push({
        proto: 'tcp',
        token,
        host: e.host,
        from: e.remote,
        fromPort: e.remotePort,
        local: e.local,
        port: e.localPort,
      });
    }
  }
  if (o.proto === 'icmp' && !witnessed) got = [];

  const first = got[0];
  const hosts = [...new Set(got.map((g) => g.host))];
  const replied = o.proto === 'tcp' ? r['connected'] === true : r['replied'] === true;
  const res: SendResult = {
    forwardDelivered: o.proto === 'icmp' && !witnessed ? replied : first !== undefined,
    replyDelivered: replied,
  };
  if (first !== undefined) {
    res.receivedBy = first.host;
    res.seenSrc = first.from;
    if (first.fromPort !== undefined) res.seenSrcPort = first.fromPort;
    if (first.local !== undefined && first.local !== '0.0.0.0') res.seenDst = first.local;
  }
  if (hosts.length > 1) res.receivedByAll = hosts;
  const replyFrom = str(r['replyFrom']);
  if (replyFrom !== undefined) res.replyFrom = replyFrom;
  const error = str(r['error']);
  if (error !== undefined) res.error = error;
  if (o.proto === 'icmp') res.witnessed = witnessed;
  return res;
}
