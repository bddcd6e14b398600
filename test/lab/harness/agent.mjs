// Lab agent: one runs inside every lab namespace (`ip netns exec NS node agent.mjs`) and speaks
// JSON lines on stdin/stdout. It is the harness's ground truth: a packet counts as delivered only
// when it reaches a real socket here, i.e. after routing, rp_filter and netfilter INPUT have let
// it through (a capture on the wire would also see packets the kernel drops later).
//
// Requests  {id, op, ...}  →  responses {id, ...result} (or {id, failure}); unsolicited events {ev, ...}.
//   ping                                   → {ok}           (also orders events before it: one pipe)
//   listen   {proto:'udp'|'tcp', ports}     → {ok, errors}   idempotent; UDP re-binds new local addresses
//   icmpListen                             → {ok, error?}   raw ICMP receiver (socat) started once
//   udp      {token, dst, dport, src?, sport?, timeoutMs} → {replied, replyFrom?, localPort?, error?}
//   tcp      {token, dst, dport, src?, sport?, timeoutMs} → {connected, replied, localPort?, error?}
//   icmp     {token, dst, src?, timeoutMs}  → {replied, replyFrom?, error?}
//   synRecv  {ports}                        → {entries: [{local, localPort, remote, remotePort}]}
// Events: {ev:'ready', pid}; {ev:'recv', proto, token, from, fromPort?, local?, port?}
//
// Plain JavaScript so that it starts fast and needs no loader inside the namespace.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { endianness } from 'node:os';
import { createInterface } from 'node:readline';

const QUERY = 'NCQ ';
const REPLY = 'NCR ';
/** ICMP payload pattern = this marker + the 8-byte token (ping -p takes at most 16 bytes). */
const ICMP_MARK = '4e434b54';

const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
process.stdout.on('error', () => process.exit(0));

/**
 * Addresses the kernel treats as local: the `/32 host LOCAL` leaves of /proc/net/fib_trie, which
 * (like all of /proc/self/net) shows this process's namespace. Unlike getifaddrs() via
 * os.networkInterfaces() it includes addresses on devices without carrier.
 */
function localAddresses() {
  const out = new Set();
  let leaf;
  for (const line of readFileSync('/proc/self/net/fib_trie', 'utf8').split('\n')) {
    const m = /^[\s|+-]*-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (m) leaf = m[1];
    else if (leaf && /^\s*\/32 host LOCAL$/.test(line)) out.add(leaf);
  }
  return [...out];
}

// ---- UDP: one wildcard socket per port, plus one per local address so that the echo leaves
// from the address the query was sent to (as a server using IP_PKTINFO would answer); the
// kernel gives a packet to the most specific bound socket (net/ipv4/udp.c compute_score).
const udp = new Map(); // port → Map(address → socket)

function bindUdp(port, address) {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const onErr = (e) => {
      s.close();
      resolve(`udp ${address}:${port}: ${e.code ?? e.message}`);
    };
    s.once('error', onErr);
    s.bind({ port, address }, () => {
      s.off('error', onErr);
      s.on('error', () => undefined);
      s.on('message', (msg, rinfo) => {
        const text = msg.toString('utf8');
        if (!text.startsWith(QUERY)) return;
        const token = text.slice(QUERY.length);
        emit({ ev: 'recv', proto: 'udp', token, from: rinfo.address, fromPort: rinfo.port, local: address, port });
        s.send(REPLY + token, rinfo.port, rinfo.address);
      });
      udp.get(port).set(address, s);
      resolve(undefined);
    });
  });
}

async function listenUdp(port) {
  if (!udp.has(port)) udp.set(port, new Map());
  const bound = udp.get(port);
  const errors = [];
  for (const a of ['0.0.0.0', ...localAddresses()]) {
    if (bound.has(a)) continue;
    const e = await bindUdp(port, a);
    if (e) errors.push(e);
  }
  return errors;
}

// ---- TCP: a wildcard listener per port; the accepting socket knows both addresses.
const tcp = new Map(); // port → server

function listenTcp(port) {
  if (tcp.has(port)) return Promise.resolve([]);
  return new Promise((resolve) => {
    const srv = net.createServer((c) => {
      let buf = '';
      c.setEncoding('utf8');
      c.on('error', () => undefined);
      c.on('data', (d) => {
        buf += d;
        const i = buf.indexOf('\n');
        if (i < 0) return;
        const line = buf.slice(0, i);
        if (!line.startsWith(QUERY)) return void c.destroy();
        const token = line.slice(QUERY.length);
        emit({
          ev: 'recv',
          proto: 'tcp',
          token,
          from: c.remoteAddress,
          fromPort: c.remotePort,
          local: c.localAddress,
          port: c.localPort,
        });
        c.end(`${REPLY + token}\n`);
      });
    });
    srv.once('error', (e) => resolve([`tcp 0.0.0.0:${port}: ${e.code ?? e.message}`]));
    srv.listen({ port, host: '0.0.0.0' }, () => {
      tcp.set(port, srv);
      resolve([]);
    });
  });
}

// ---- ICMP: ICMP echo requests are answered by the kernel, not a socket, so the witness is a raw
// socket (socat IP4-RECV:1): raw sockets get their copy in ip_local_deliver_finish, after the
// LOCAL_IN netfilter hook (net/ipv4/ip_input.c), so a packet dropped by rp_filter or INPUT never
// shows. socat -d -d logs the sender, -x dumps the payload, both on stderr in order.
let icmp;

function icmpListen() {
  if (icmp) return icmp;
  icmp = new Promise((resolve) => {
    // setpriv --pdeathsig: socat dies with this agent even when the agent is SIGKILLed, instead
    // of living on in the namespace (and keeping it alive) as an orphan.
    const socat = ['socat', '-d', '-d', '-x', '-u', 'IP4-RECV:1', '/dev/null'];
    const argv = hasSetpriv() ? ['setpriv', '--pdeathsig', 'KILL', '--', ...socat] : socat;
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    p.on('error', (e) => resolve({ ok: false, error: `socat: ${e.code ?? e.message}` }));
    p.on('exit', (code) => resolve({ ok: false, error: `socat exited ${code}` }));
    let from;
    const mark = ICMP_MARK.match(/../g).join(' ');
    createInterface({ input: p.stderr }).on('line', (line) => {
      if (line.includes('starting data transfer loop')) return resolve({ ok: true });
      const m = /received packet with \d+ bytes from AF=2 (\d+\.\d+\.\d+\.\d+):/.exec(line);
      if (m) return void (from = m[1]);
      if (!line.startsWith(' ') || from === undefined) return;
      const hex = line.trim().toLowerCase();
      const at = hex.indexOf(mark);
      // Type 8 = echo request; replies to this host's own pings (type 0) carry the token too.
      if (hex.startsWith('08 ') && at >= 0) {
        const token = hex.slice(at + mark.length + 1, at + mark.length + 1 + 8 * 3 - 1).replaceAll(' ', '');
        if (token.length === 16) emit({ ev: 'recv', proto: 'icmp', token, from });
      }
      from = undefined;
    });
    process.on('exit', () => p.kill('SIGKILL'));
  });
  return icmp;
}

function hasSetpriv() {
  return (process.env.PATH ?? '').split(':').some((d) => existsSync(`${d}/setpriv`));
}

// ---- senders
function sendUdp({ token, dst, dport, src, sport, timeoutMs }) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let done = false;
    let localPort;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        s.close();
      } catch {}
      resolve({ ...r, localPort });
    };
    const timer = setTimeout(() => finish({ replied: false }), timeoutMs);
    s.on('error', (e) => finish({ replied: false, error: e.code ?? e.message }));
    s.on('message', (msg, rinfo) => {
      if (msg.toString('utf8') === REPLY + token) finish({ replied: true, replyFrom: rinfo.address });
    });
    s.bind({ address: src ?? '0.0.0.0', port: sport ?? 0 }, () => {
      localPort = s.address().port;
      s.send(QUERY + token, dport, dst, (err) => {
        if (err) finish({ replied: false, error: err.code ?? err.message });
      });
    });
  });
}

function sendTcp({ token, dst, dport, src, sport, timeoutMs }) {
  return new Promise((resolve) => {
    const opts = { host: dst, port: dport };
    if (src) opts.localAddress = src;
    if (sport) opts.localPort = sport;
    const c = net.connect(opts);
    let done = false;
    let connected = false;
    let buf = '';
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Known even in SYN_SENT (getsockname after connect()); the harness matches it against
      // SYN_RECV entries on the far side when the handshake does not complete.
      const localPort = c.localPort;
      c.destroy();
      resolve({ connected, ...r, localPort });
    };
    const timer = setTimeout(() => finish({ replied: false }), timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => {
      connected = true;
      c.write(`${QUERY + token}\n`);
    });
    c.on('data', (d) => {
      buf += d;
      if (buf.includes(REPLY + token)) finish({ replied: true });
    });
    c.on('error', (e) => finish({ replied: false, error: e.code ?? e.message }));
    c.on('close', () => finish({ replied: false }));
  });
}

function sendIcmp({ token, dst, src, timeoutMs }) {
  return new Promise((resolve) => {
    const args = ['-n', '-c', '1', '-W', String(timeoutMs / 1000), '-p', ICMP_MARK + token];
    if (src) args.push('-I', src);
    args.push(dst);
    const p = spawn('ping', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const kill = setTimeout(() => p.kill('SIGKILL'), timeoutMs + 1000);
    p.on('error', (e) => resolve({ replied: false, error: `ping: ${e.code ?? e.message}` }));
    p.on('close', (code) => {
      clearTimeout(kill);
      const m = /bytes from (\d+\.\d+\.\d+\.\d+)/.exec(out);
      const r = { replied: code === 0 };
      if (m) r.replyFrom = m[1];
      if (code !== 0 && code !== 1) r.error = err.trim() || `ping exited ${code}`;
      resolve(r);
    });
  });
}

/** /proc/net/tcp prints each __be32 address as a native-endian %08X (net/ipv4/tcp_ipv4.c get_openreq4). */
function procAddr(hex) {
  const [h, p] = hex.split(':');
  const bytes = [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16));
  if (endianness() === 'LE') bytes.reverse();
  return { addr: bytes.join('.'), port: parseInt(p, 16) };
}

function synRecv({ ports }) {
  const entries = [];
  for (const line of readFileSync('/proc/self/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '03') continue; // 03 = TCP_SYN_RECV (request sockets)
    const l = procAddr(f[1]);
    const r = procAddr(f[2]);
    if (ports.includes(l.port)) entries.push({ local: l.addr, localPort: l.port, remote: r.addr, remotePort: r.port });
  }
  return { entries };
}

async function handle(req) {
  switch (req.op) {
    case 'ping':
      return { ok: true };
    case 'listen': {
      const errors = [];
      for (const port of req.ports)
        errors.push(...(req.proto === 'udp' ? await listenUdp(port) : await listenTcp(port)));
      return { ok: errors.length === 0, errors };
    }
    case 'icmpListen':
      return icmpListen();
    case 'udp':
      return sendUdp(req);
    case 'tcp':
      return sendTcp(req);
    case 'icmp':
      return sendIcmp(req);
    case 'synRecv':
      return synRecv(req);
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      return emit({ ev: 'bad-request', line });
    }
    handle(req).then(
      (r) => emit({ id: req.id, ...r }),
      (e) => emit({ id: req.id, failure: e instanceof Error ? e.message : String(e) }),
    );
  })
  // The pipe closes when the harness dies; process.exit runs the 'exit' hooks that end socat.
  .on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

emit({ ev: 'ready', pid: process.pid });
