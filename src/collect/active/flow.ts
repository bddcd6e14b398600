// The commands of the flow itself under `--active` (src/snapshot/active-flow.ts): the question's
// own packet (TCP connect, UDP datagram, ICMP echo) sent from inside the source pod's network
// namespace, and a bounded listener in the destination pod's where netcheck can enter it.
//
// Entering a pod: the probe pod has hostPID, so every pod's processes are in its /proc.
// /proc/<pid>/net is the network namespace of that process (fs/proc/proc_net.c, per-netns since
// Linux 2.6.25), and its fib_trie lists the namespace's local addresses as "/32 host LOCAL" under
// the address (net/ipv4/fib_trie.c fib_trie_seq_show). The pod's namespace is the one, other than
// the node's (PID 1's), that holds the pod IP; nsenter(1) -t PID -n enters it. This needs no
// container runtime socket: `crictl inspectp <sandbox>` (its info.pid) would give the same PID
// on containerd/CRI-O, but only where crictl and the socket are reachable.
import type { FlowProbe } from '../../snapshot/active-flow.ts';

/** The exit status of ENTER_SH when no namespace holds the address. */
export const NO_NETNS_EXIT = 3;

/**
 * sh: enter the network namespace holding $1 (never the node's own), then exec the rest. Each
 * namespace is read once (many processes share one); awk matches the address line and the
 * "/32 host LOCAL" line under it.
 */
const ENTER_SH = [
  'ip=$1; shift; host=$(readlink /proc/1/ns/net); seen=" "',
  'for d in /proc/[0-9]*; do',
  '  ns=$(readlink "$d/ns/net" 2>/dev/null) || continue',
  '  case "$seen" in *" $ns "*) continue;; esac; seen="$seen$ns "',
  '  [ "$ns" = "$host" ] && continue',
  `  if awk -v a="|-- $ip" '$0 ~ /^ *\\/32 host LOCAL$/ && p == a {f=1; exit} {sub(/^ +/, ""); p=$0} END {exit !f}' "$d/net/fib_trie" 2>/dev/null; then`,
  '    exec nsenter -t "${d#/proc/}" -n -- "$@"',
  '  fi',
  'done',
  `echo "no process on this node is in a network namespace of its own holding $ip" >&2; exit ${NO_NETNS_EXIT}`,
].join('\n');

/**
 * python3, one program for both ends. send: `count` attempts, each waiting `wait` s; TCP closes
 * an answered connection with SO_LINGER 0 (an RST: no FIN exchange, no TIME_WAIT, socket(7));
 * UDP and ICMP carry the marker and expect it back. listen: bound before it says "listening" on
 * stderr; answers `count` connections or datagrams, or stops at `limit` s.
 */
const FLOW_PY = `
import errno, json, os, socket, struct, sys, time
a = json.loads(sys.argv[1]); mark = struct.pack("!IH", a["marker"], a["run"]) + b"flow"
def ck(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def name(e): return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "no-answer"
def attempt(i):
    p = a["protocol"]; w = a["wait"]
    try:
        if p == "tcp":
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(w)
            try:
                s.connect((a["dst"], a["port"]))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); return "answered"
            finally: s.close()
        if p == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(w)
            try:
                s.connect((a["dst"], a["port"])); s.send(mark)
                return "answered" if s.recv(2048) == mark else "no-answer"
            finally: s.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); end = time.time() + w
        try:
            h = struct.pack("!BBHHH", 8, 0, 0, a["run"], i); s.sendto(struct.pack("!BBHHH", 8, 0, ck(h + mark), a["run"], i) + mark, (a["dst"], 0))
            while time.time() < end:
                s.settimeout(max(0.01, end - time.time())); d, f = s.recvfrom(2048); ihl = (d[0] & 15) * 4
                if f[0] == a["dst"] and d[ihl] == 0 and struct.unpack("!HH", d[ihl + 4:ihl + 8]) == (a["run"], i): return "answered"
                if d[ihl] == 3 and d[ihl + 8 + 16:ihl + 8 + 20] == socket.inet_aton(a["dst"]): return "refused"
            return "no-answer"
        finally: s.close()
    except socket.timeout: return "no-answer"
    except OSError as e: return "refused" if e.errno == errno.ECONNREFUSED else name(e)
if a["role"] == "send":
    out = []
    for i in range(a["count"]):
        out.append(attempt(i + 1)); time.sleep(a["gap"])
    print(json.dumps({"attempts": out})); sys.exit(0)
tcp = a["protocol"] == "tcp"; s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
try: s.bind((a["dst"], a["port"]))
except OSError as e:
    sys.stderr.write("listening\\n"); print(json.dumps({"inUse": e.errno == errno.EADDRINUSE, "error": name(e)})); sys.exit(0)
if tcp: s.listen(8)
sys.stderr.write("listening\\n"); sys.stderr.flush(); got = 0; end = time.time() + a["limit"]
while got < a["count"] and time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        if tcp:
            c, f = s.accept(); got += 1; c.settimeout(1)
            try: c.recv(1)
            except OSError: pass
            c.close()
        else:
            d, f = s.recvfrom(2048); got += 1; s.sendto(d, f)
    except socket.timeout: break
print(json.dumps({"received": got}))
`.trim();

export interface FlowArgs {
  run: number;
  marker: number;
  /** Seconds between attempts (the plan's rate). */
  gap: number;
  /** The listener's time limit. */
  limit: number;
}

function enter(ip: string, program: readonly string[]): string[] {
  return ['sh', '-c', ENTER_SH, 'netcheck-enter', ip, ...program];
}

function input(p: FlowProbe, role: 'send' | 'listen', x: FlowArgs): string {
  return JSON.stringify({
    role,
    protocol: p.protocol,
    dst: p.dst,
    ...(p.port !== undefined ? { port: p.port } : {}),
    count: p.count,
    wait: p.answerSeconds,
    ...x,
  });
}

/** argv of the sender: enter the source pod's namespace, send the flow's packets. */
export function flowSenderArgv(p: FlowProbe, x: FlowArgs): string[] {
  return enter(p.src, ['python3', '-c', FLOW_PY, input(p, 'send', x)]);
}

/** argv of the listener: enter the destination pod's namespace, answer the flow. */
export function flowListenerArgv(p: FlowProbe, x: FlowArgs): string[] {
  return enter(p.dst, ['python3', '-c', FLOW_PY, input(p, 'listen', x)]);
}

/** The flow program's text, for --dry-run. */
export function flowProgram(): { enter: string; program: string } {
  return { enter: ENTER_SH, program: FLOW_PY };
}
