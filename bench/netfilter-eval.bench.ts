// Benchmark: evaluateHook on a kube-proxy ruleset of 10k services (~113k rules, bench/gen).
// The packet goes to the last Service that has endpoints, so nat KUBE-SERVICES is scanned almost
// to its end and the walk forks into one branch per endpoint. Times PREROUTING (from a pod),
// OUTPUT (from the node) and POSTROUTING (each OUTPUT branch) after the ruleset is compiled;
// prints the median. Asserts nothing about speed.
import { parseIpv4 } from '../src/lib/ipv4.ts';
import { compileRuleset } from '../src/engine/netfilter/compile.ts';
import { evaluateHook } from '../src/engine/netfilter/evaluate.ts';
import type { AddrType, HookInput, NetfilterEnv } from '../src/engine/netfilter/types.ts';
import type { Packet } from '../src/engine/packet.ts';
import type { IptRuleset } from '../src/model/types.ts';
import { parseIptablesSave } from '../src/model/parse/iptables-save.ts';
import { generateKubeProxyRuleset } from './gen/kube-proxy-ruleset.ts';

const SERVICES = 10_000;
const ENDPOINTS_PER_SERVICE = 3;
const WARMUP_RUNS = 5;
const MEASURED_RUNS = 31;
const NODE_IP = parseIpv4('192.168.0.10') as number;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Destination of the last ClusterIP rule in nat KUBE-SERVICES (the last Service with endpoints). */
function lastService(rs: IptRuleset): { dst: number; dport: number; proto: 'tcp' | 'udp' } {
  const rules = rs.tables.get('nat')?.chains.get('KUBE-SERVICES')?.rules ?? [];
  for (let i = rules.length - 1; i >= 0; i--) {
    const opts = rules[i]!.matches.flatMap((m) => m.options);
    const d = opts.find((o) => o.name === 'd')?.args[0];
    const p = opts.find((o) => o.name === 'p')?.args[0];
    const dport = opts.find((o) => o.name === 'dport')?.args[0];
    if (d !== undefined && dport !== undefined && (p === 'tcp' || p === 'udp')) {
      return { dst: parseIpv4(d.replace('/32', '')) as number, dport: Number(dport), proto: p };
    }
  }
  throw new Error('no ClusterIP rule in nat KUBE-SERVICES');
}

const env: NetfilterEnv = {
  addrType: (addr): AddrType => (addr === NODE_IP ? 'LOCAL' : 'UNICAST'),
  ipset: () => undefined,
  masqueradeSource: () => NODE_IP,
  primaryAddress: () => NODE_IP,
  rpfilterPasses: () => true,
  fibOif: () => ({ unknown: 'the bench host has no routes' }),
};

function input(hook: HookInput['hook'], packet: Packet, devices: { in?: string; out?: string }): HookInput {
  const i: HookInput = {
    hook,
    packet,
    ct: {
      state: 'NEW',
      direction: 'ORIGINAL',
      dnat: false,
      snat: false,
      origSrc: packet.src,
      origDst: packet.dst,
      origDport: packet.dport,
    },
  };
  if (devices.in !== undefined) i.inIface = devices.in;
  if (devices.out !== undefined) i.outIface = devices.out;
  return i;
}

/** PREROUTING + OUTPUT + POSTROUTING; returns how many outcomes the three hooks gave. */
function trace(rs: IptRuleset, svc: ReturnType<typeof lastService>): number {
  const base = {
    proto: svc.proto,
    sport: 40000,
    dport: svc.dport,
    dst: svc.dst,
    mark: 0,
    connmark: 0,
    length: 60,
  } as const;
  const pre = evaluateHook(
    [rs],
    input('PREROUTING', { ...base, src: parseIpv4('10.244.0.2') as number }, { in: 'cali1234' }),
    env,
  );
  const out = evaluateHook([rs], input('OUTPUT', { ...base, src: NODE_IP }, { out: 'eth0' }), env);
  let n = pre.length + out.length;
  for (const o of out) {
    const post = input('POSTROUTING', o.packet, { out: 'eth0' });
    post.ct = o.ct;
    n += evaluateHook([rs], post, env).length;
  }
  return n;
}

export async function run(): Promise<void> {
  const rs = parseIptablesSave(generateKubeProxyRuleset(SERVICES, ENDPOINTS_PER_SERVICE), 'nft').value;
  let rules = 0;
  for (const t of rs.tables.values()) for (const c of t.chains.values()) rules += c.rules.length;
  const svc = lastService(rs);

  // First evaluation: compiles the chains it touches (cached per ruleset).
  compileRuleset(rs);
  const c0 = performance.now();
  const outcomes = trace(rs, svc);
  const compileMs = performance.now() - c0;

  const times: number[] = [];
  for (let i = 0; i < WARMUP_RUNS + MEASURED_RUNS; i++) {
    const start = performance.now();
    trace(rs, svc);
    const ms = performance.now() - start;
    if (i >= WARMUP_RUNS) times.push(ms);
  }
  console.log(
    `netfilter evaluateHook PREROUTING+OUTPUT+POSTROUTING to the last Service (${rules} rules, ${outcomes} outcomes): ` +
      `${median(times).toFixed(2)} ms (median of ${MEASURED_RUNS}; min ${Math.min(...times).toFixed(2)}, max ${Math.max(...times).toFixed(2)})`,
  );
  console.log(`netfilter first evaluation of the same, compiling the chains it touches: ${compileMs.toFixed(0)} ms`);
}
