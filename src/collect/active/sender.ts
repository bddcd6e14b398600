// The probe sender and capture commands, as exec'd into a probe pod (hostNetwork: the node's own
// network namespace). The sender is one python3 program (the probe image has python3; a missing
// interpreter is reported as a missing tool, never guessed around) that writes every packet of
// src/snapshot/active.ts by hand, so the marker, the VNI, the size and DF are exactly the
// plan's. Raw sockets: IPPROTO_RAW implies IP_HDRINCL (raw(7)), the routed probe's pod source
// address is written in the header; proto 4 and UDP use IP_MTU_DISCOVER (IP_PMTUDISC_DO = 2
// sets DF and makes a too-large send fail with EMSGSIZE, ip(7)).
import type { ActivePlan, UnderlayProbe } from '../../snapshot/active.ts';
import { MARKER } from '../../snapshot/active.ts';

const SENDER_PY = `
import errno, json, socket, struct, sys, time
a = json.loads(sys.argv[1]); gap = 1.0 / a["rate"]; out = []
def ck(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def echo_reply(mark, n):
    body = mark + b"\\0" * max(0, n - 8 - len(mark)); h = struct.pack("!BBHHH", 0, 0, 0, a["run"], 0)
    return struct.pack("!BBHHH", 0, 0, ck(h + body), a["run"], 0) + body
def iphdr(src, dst, proto, total, df):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000 if df else 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", ck(h)) + h[12:]
for p in a["probes"]:
    mark = struct.pack("!IHH", ${MARKER}, a["run"], p["id"]); r = {"id": p["id"], "sent": 0}
    try:
        if p["kind"] == "routed":
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            pkt = iphdr(p["src"], p["dst"], 1, p["size"], p["df"]) + echo_reply(mark, p["size"] - 20)
        else:
            vx = p["kind"] == "vxlan"
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if vx else socket.SOCK_RAW, 0 if vx else 4)
            s.setsockopt(socket.IPPROTO_IP, 10, 2 if p["df"] else 0)
            s.bind((p["src"], 0))
            if vx:
                pkt = struct.pack("!II", 0x08000000, p["vni"] << 8) + mark; pkt += b"\\0" * (p["size"] - 28 - len(pkt))
            else:
                pkt = iphdr(p["src"], p["dst"], 1, p["size"] - 20, False) + echo_reply(mark, p["size"] - 40)
        for i in range(p["count"]):
            try:
                s.sendto(pkt, (p["dst"], p.get("port", 0))); r["sent"] += 1
            except OSError as e:
                r.setdefault("error", errno.errorcode.get(e.errno, str(e.errno)))
            time.sleep(gap)
        s.close()
    except OSError as e:
        r.setdefault("error", errno.errorcode.get(e.errno, str(e.errno)))
    out.append(r)
print(json.dumps(out))
`.trim();

/** What the sender is told: the probes one node sends, in the plan's order. */
function senderInput(plan: ActivePlan, probes: readonly UnderlayProbe[]): string {
  return JSON.stringify({
    run: plan.run,
    rate: plan.limits.ratePerSecond,
    probes: probes.map((p) => ({
      id: p.id,
      kind: p.kind,
      src: p.src,
      dst: p.dst,
      size: p.size,
      df: p.df,
      count: p.count,
      ...(p.port !== undefined ? { port: p.port } : {}),
      ...(p.vni !== undefined ? { vni: p.vni } : {}),
    })),
  });
}

/** argv of the sender for one node's probes. */
export function senderArgv(plan: ActivePlan, probes: readonly UnderlayProbe[]): string[] {
  return ['python3', '-c', SENDER_PY, senderInput(plan, probes)];
}

/**
 * argv of one capture point: tcpdump writes pcap to stdout (-w -, -U per packet), stops after the
 * packets it expects (-c) or at the time limit (timeout -s INT lets it flush). Its "listening on"
 * line on stderr says it is ready.
 */
export function captureArgv(dev: string, filter: string, expected: number, seconds: number): string[] {
  return [
    'timeout',
    '-s',
    'INT',
    String(seconds),
    'tcpdump',
    '-i',
    dev,
    '-n',
    '-U',
    '-s',
    '128',
    '-c',
    String(Math.max(1, expected)),
    '-w',
    '-',
    filter,
  ];
}
