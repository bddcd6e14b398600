// Statements of a native rule (libnftables-json(5) "STATEMENTS") → what the walk does with them.
// Anything not listed here compiles to `unknown` with its name: the walk reports the rule.
import { parseIpv4 } from '../../../lib/ipv4.ts';
import type { NatKind, NatRange, Unknown } from '../compiled.ts';
import { compileMatchStmt } from './match.ts';
import type { CompileCx, NftCtx, NftVerdict, Stmt } from './types.ts';
import { isUnknown } from './types.ts';
import { ABSENT, literal, type Value } from './value.ts';

type Json = unknown;
type StmtCompiler = (body: Json, cx: CompileCx) => Stmt;

const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

// nft reject codes → the names iptables' REJECT uses, which the rest of the engine reads.
const REJECT_CODES: Readonly<Record<string, string>> = {
  'port-unreachable': 'icmp-port-unreachable',
  'host-unreachable': 'icmp-host-unreachable',
  'net-unreachable': 'icmp-net-unreachable',
  'no-route': 'icmp-net-unreachable',
  'prot-unreachable': 'icmp-proto-unreachable',
  'host-prohibited': 'icmp-host-prohibited',
  'net-prohibited': 'icmp-net-prohibited',
  'admin-prohibited': 'icmp-admin-prohibited',
};

function verdict(kind: NftVerdict['kind'], body: Json): Stmt {
  if (kind === 'jump' || kind === 'goto') {
    const t = isObj(body) ? body['target'] : undefined;
    return typeof t === 'string'
      ? { k: 'verdict', v: { kind, chain: t } }
      : { k: 'unknown', reason: `${kind} without a target` };
  }
  return { k: 'verdict', v: { kind } };
}

function compileReject(body: Json): Stmt {
  if (!isObj(body)) return { k: 'reject', with: 'icmp-port-unreachable' };
  if (body['type'] === 'tcp reset') return { k: 'reject', with: 'tcp-reset' };
  const code = typeof body['expr'] === 'string' ? body['expr'] : 'port-unreachable';
  const w = REJECT_CODES[code];
  return w === undefined
    ? { k: 'unknown', reason: `reject with ${String(body['type'])} ${code} is not modelled` }
    : { k: 'reject', with: w };
}

function compileVmap(body: Json, cx: CompileCx): Stmt {
  const o = isObj(body) ? body : {};
  const key = cx.expr(o['key']);
  if (isUnknown(key)) return { k: 'unknown', reason: key.unknown };
  const map = cx.set(o['data'], key.kind, 'vmap');
  if (isUnknown(map)) return { k: 'unknown', reason: map.unknown };
  return { k: 'vmap', key, map };
}

function compileMangle(body: Json, cx: CompileCx): Stmt {
  const o = isObj(body) ? body : {};
  const k = isObj(o['key']) ? o['key'] : {};
  const meta = isObj(k['meta']) ? k['meta']['key'] : undefined;
  const ct = isObj(k['ct']) ? k['ct']['key'] : undefined;
  if (meta === 'nftrace') return { k: 'inert', note: 'meta nftrace set (tracing only)' };
  if (meta !== 'mark' && ct !== 'mark')
    return { k: 'unknown', reason: `setting ${JSON.stringify(o['key'])} is not modelled` };
  const lit = literal('int', o['value']);
  const value = typeof lit === 'number' ? { kind: 'int' as const, eval: () => lit } : cx.expr(o['value']);
  if (isUnknown(value)) return { k: 'unknown', reason: value.unknown };
  return { k: 'mark', target: meta === 'mark' ? 'meta' : 'ct', value };
}

/** `to ADDR[-ADDR][:PORT[-PORT]]`, fixed or looked up in a map per packet. */
function natRange(o: Record<string, Json>, cx: CompileCx): ((ctx: NftCtx) => NatRange | undefined | Unknown) | Unknown {
  const r: NatRange = {};
  let lookup: ((ctx: NftCtx) => Value | Unknown) | undefined;
  const addr = o['addr'];
  if (addr !== undefined) {
    if (typeof addr === 'string') {
      const a = parseIpv4(addr);
      if (a === undefined) return { unknown: `nat address ${addr} not understood` };
      r.minAddr = a;
      r.maxAddr = a;
    } else if (isObj(addr) && Array.isArray(addr['range'])) {
      const a = literal('ipv4', addr['range'][0]);
      const b = literal('ipv4', addr['range'][1]);
      if (typeof a !== 'number' || typeof b !== 'number') return { unknown: 'nat address range not understood' };
      r.minAddr = a;
      r.maxAddr = b;
    } else {
      const e = cx.expr(addr);
      if (isUnknown(e)) return e;
      lookup = e.eval;
    }
  }
  const port = o['port'];
  if (port !== undefined) {
    const p =
      typeof port === 'number'
        ? { lo: port, hi: port }
        : isObj(port) && Array.isArray(port['range'])
          ? { lo: port['range'][0], hi: port['range'][1] }
          : undefined;
    if (p === undefined || typeof p.lo !== 'number' || typeof p.hi !== 'number')
      return { unknown: `nat port ${JSON.stringify(port)} not understood` };
    r.minPort = p.lo;
    r.maxPort = p.hi;
  }
  if (lookup === undefined) return () => r;
  const ev = lookup;
  return (ctx) => {
    const v = ev(ctx);
    if (isUnknown(v)) return v;
    if (v === ABSENT) return undefined;
    const [a, p] = Array.isArray(v) ? v : [v, undefined];
    if (typeof a !== 'number') return { unknown: 'nat address from the map not understood' };
    const out: NatRange = { ...r, minAddr: a, maxAddr: a };
    if (typeof p === 'number') {
      out.minPort = p;
      out.maxPort = p;
    }
    return out;
  };
}

function nat(kind: NatKind): StmtCompiler {
  return (body, cx) => {
    const o = isObj(body) ? body : {};
    if (o['family'] !== undefined && o['family'] !== 'ip')
      return { k: 'unknown', reason: `${kind} for family ${String(o['family'])}` };
    const flags = Array.isArray(o['flags']) ? o['flags'] : o['flags'] === undefined ? [] : [o['flags']];
    const range = natRange(o, cx);
    if (isUnknown(range)) return { k: 'unknown', reason: range.unknown };
    if ((kind === 'dnat' || kind === 'snat') && o['addr'] === undefined && o['port'] === undefined)
      return { k: 'unknown', reason: `${kind} without an address` };
    return { k: 'nat', nat: kind, range, randomFully: flags.includes('fully-random'), text: kind };
  };
}

const inert =
  (note: string): StmtCompiler =>
  () => ({ k: 'inert', note });

function compileLimit(body: Json): Stmt {
  const o = isObj(body) ? body : {};
  const text = `limit rate ${o['inv'] === true ? 'over ' : ''}${String(o['rate'])}/${String(o['per'] ?? 'second')}`;
  // `limit rate over` matches only above the rate: assumed not, the rule does not match.
  if (o['inv'] === true)
    return {
      k: 'match',
      test: (ctx) => {
        ctx.assume(`${text}: assumed under the rate`);
        return false;
      },
    };
  return { k: 'inert', note: `${text} (assumed within the limit)`, assume: `${text}: assumed within the limit` };
}

const COMPILERS: Readonly<Record<string, StmtCompiler>> = {
  match: compileMatchStmt,
  accept: (b) => verdict('accept', b),
  drop: (b) => verdict('drop', b),
  return: (b) => verdict('return', b),
  continue: (b) => verdict('continue', b),
  jump: (b) => verdict('jump', b),
  goto: (b) => verdict('goto', b),
  reject: compileReject,
  vmap: compileVmap,
  mangle: compileMangle,
  dnat: nat('dnat'),
  snat: nat('snat'),
  masquerade: nat('masquerade'),
  redirect: nat('redirect'),
  notrack: () => ({ k: 'notrack' }),
  counter: inert('counter'),
  log: inert('log'),
  limit: compileLimit,
  // `update @set { ip saddr }`: fills a set later packets read (kube-proxy's affinity sets).
  set: inert('set update (affects later packets)'),
};

export function compileStatement(json: Json, cx: CompileCx): Stmt {
  if (!isObj(json)) return { k: 'unknown', reason: `statement ${JSON.stringify(json)} not understood` };
  const keys = Object.keys(json);
  const key = keys[0] as string;
  const c = keys.length === 1 ? COMPILERS[key] : undefined;
  if (c === undefined) return { k: 'unknown', reason: `statement "${keys.join(',')}" is not modelled` };
  return c(json[key], cx);
}
