// Sets and maps, named and anonymous, exact and interval, plain and concatenated: elements are
// compiled once into per-part intervals; sets of exact keys get a hash index, so a lookup in
// kube-proxy's 10k-element service map costs one Map.get (nft_set_hash / nft_set_rbtree /
// nft_set_pipapo give the same answers).
import type { NftSet } from '../../../model/types.ts';
import type { Unknown } from '../compiled.ts';
import type { CompiledSet, NftVerdict } from './types.ts';
import { isUnknown } from './types.ts';
import { ABSENT, type Kind, literal, OPAQUE, type Value } from './value.ts';

/** One part of an element: numbers in [lo, hi], or a name (a trailing `*` is a prefix). */
export type Part = { lo: number; hi: number } | { name: string; prefix: boolean };

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Type names of `nft -j` set declarations → how their literals read. */
const TYPE_KINDS: Readonly<Record<string, Kind>> = {
  ipv4_addr: 'ipv4',
  inet_proto: 'proto',
  inet_service: 'int',
  ifname: 'ifname',
  mark: 'int',
  ct_state: 'ctstate',
  ct_status: 'ctstatus',
  icmp_type: 'icmptype',
  fib_addrtype: 'fibtype',
  integer: 'int',
};

export function kindsOfType(t: string | string[]): Kind[] | undefined {
  const out: Kind[] = [];
  // `nft -j` prints a map's concatenated data type as one string: "ipv4_addr . inet_service".
  for (const n of Array.isArray(t) ? t : t.split(' . ')) {
    const k = TYPE_KINDS[n];
    if (k === undefined) return undefined;
    out.push(k);
  }
  return out;
}

/** A literal, `{prefix}`, or `{range}` of `kind` as a Part. */
export function partOf(kind: Kind, v: Json): Part | undefined {
  if (isObj(v) && isObj(v['prefix'])) {
    const p = v['prefix'];
    const base = literal(kind, p['addr']);
    const len = p['len'];
    if (kind !== 'ipv4' || typeof base !== 'number' || typeof len !== 'number' || len < 0 || len > 32) return undefined;
    const size = 2 ** (32 - len);
    const lo = base - (base % size);
    return { lo, hi: lo + size - 1 };
  }
  if (isObj(v) && Array.isArray(v['range']) && v['range'].length === 2) {
    const a = literal(kind, v['range'][0]);
    const b = literal(kind, v['range'][1]);
    return typeof a === 'number' && typeof b === 'number' ? { lo: a, hi: b } : undefined;
  }
  const x = literal(kind, v);
  if (x === undefined) return undefined;
  if (typeof x === 'number') return { lo: x, hi: x };
  return x.endsWith('*') && kind === 'ifname' ? { name: x.slice(0, -1), prefix: true } : { name: x, prefix: false };
}

/** Does `v` fall in `p`? OPAQUE cannot tell; ABSENT never matches. */
export function inPart(v: Value, p: Part): boolean | undefined {
  if (v === OPAQUE) return undefined;
  if ('lo' in p) return typeof v === 'number' && v >= p.lo && v <= p.hi;
  return typeof v === 'string' && (p.prefix ? v.startsWith(p.name) : v === p.name);
}

const exact = (p: Part): boolean => ('lo' in p ? p.lo === p.hi : !p.prefix);
const keyText = (vs: readonly (number | string)[]): string => vs.join('\u0000');

function verdictOf(v: Json): NftVerdict | undefined {
  if (!isObj(v)) return undefined;
  const k = Object.keys(v)[0];
  if (k === 'accept' || k === 'drop' || k === 'return' || k === 'continue') return { kind: k };
  if (k === 'jump' || k === 'goto') {
    const t = v[k];
    return isObj(t) && typeof t['target'] === 'string' ? { kind: k, chain: t['target'] } : undefined;
  }
  return undefined;
}

/** Data of a value map ("ipv4_addr", ["ipv4_addr", "inet_service"]) as a Value. */
function dataValue(kinds: Kind[], v: Json): Value | undefined {
  const parts = kinds.length > 1 && isObj(v) && Array.isArray(v['concat']) ? v['concat'] : [v];
  if (parts.length !== kinds.length) return undefined;
  const out: Value[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const p = partOf(kinds[i] as Kind, parts[i]);
    if (p === undefined) return undefined;
    // A range in NAT data (`10.0.0.1-10.0.0.3`) keeps its first address; nat.ts says so.
    out.push('lo' in p ? p.lo : p.name);
  }
  return kinds.length === 1 ? (out[0] as Value) : out;
}

interface Elem {
  parts: Part[];
  data?: NftVerdict | Value;
}

/**
 * Compiles elements keyed by `kinds`. `dataKinds`: undefined for a set, 'verdict' for a verdict
 * map, else the kinds of a value map's data.
 */
export function compileElements(
  name: string,
  elements: readonly Json[],
  kinds: Kind[],
  dataKinds: Kind[] | 'verdict' | undefined,
): CompiledSet | Unknown {
  const elems: Elem[] = [];
  for (const raw of elements) {
    let key: Json = raw;
    let data: Json;
    if (dataKinds !== undefined) {
      if (!Array.isArray(raw) || raw.length !== 2)
        return { unknown: `map ${name}: element ${JSON.stringify(raw)} not understood` };
      [key, data] = raw;
    }
    if (isObj(key) && isObj(key['elem'])) key = key['elem']['val'];
    const parts = kinds.length > 1 ? (isObj(key) && Array.isArray(key['concat']) ? key['concat'] : undefined) : [key];
    if (parts === undefined || parts.length !== kinds.length)
      return { unknown: `set ${name}: element ${JSON.stringify(raw)} does not fit its type` };
    const compiled: Part[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = partOf(kinds[i] as Kind, parts[i]);
      if (p === undefined) return { unknown: `set ${name}: element part ${JSON.stringify(parts[i])} not understood` };
      compiled.push(p);
    }
    const e: Elem = { parts: compiled };
    if (dataKinds === 'verdict') {
      const v = verdictOf(data);
      if (v === undefined) return { unknown: `map ${name}: verdict ${JSON.stringify(data)} not understood` };
      e.data = v;
    } else if (dataKinds !== undefined) {
      const v = dataValue(dataKinds, data);
      if (v === undefined) return { unknown: `map ${name}: data ${JSON.stringify(data)} not understood` };
      e.data = v;
    }
    elems.push(e);
  }
  let index: Map<string, number> | undefined;
  if (elems.every((e) => e.parts.every(exact))) {
    index = new Map();
    elems.forEach((e, i) => {
      const k = keyText(e.parts.map((p) => ('lo' in p ? p.lo : p.name)));
      if (!index!.has(k)) index!.set(k, i);
    });
  }
  const scan = (vs: readonly Value[]): number | undefined | Unknown => {
    let undecided = false;
    for (let i = 0; i < elems.length; i++) {
      let all = true;
      let maybe = false;
      const parts = (elems[i] as Elem).parts;
      for (let j = 0; j < parts.length; j++) {
        const r = inPart(vs[j] as Value, parts[j] as Part);
        if (r === false) {
          all = false;
          break;
        }
        if (r === undefined) maybe = true;
      }
      if (!all) continue;
      if (!maybe)
        return undecided ? { unknown: `lookup in ${name} depends on header bytes the model does not carry` } : i;
      undecided = true;
    }
    return undecided ? { unknown: `lookup in ${name} depends on header bytes the model does not carry` } : undefined;
  };
  return {
    name,
    find(key: Value) {
      const vs: readonly Value[] = kinds.length > 1 && Array.isArray(key) ? key : [key];
      if (vs.some((v) => v === ABSENT)) return undefined;
      if (index !== undefined && vs.every((v) => typeof v === 'number' || typeof v === 'string'))
        return index.get(keyText(vs as (number | string)[]));
      return scan(vs);
    },
    data: (i) => elems[i]?.data,
  };
}

/** A named set of the table, compiled against the kinds its declaration gives. */
export function compileNamedSet(s: NftSet, wantMap: boolean): CompiledSet | Unknown {
  const kinds = kindsOfType(s.type);
  if (kinds === undefined) return { unknown: `${s.kind} ${s.name}: type ${JSON.stringify(s.type)} not modelled` };
  if (wantMap !== (s.kind === 'map')) return { unknown: `${s.name} is a ${s.kind}` };
  let dataKinds: Kind[] | 'verdict' | undefined;
  if (s.map !== undefined) {
    if (s.map === 'verdict') dataKinds = 'verdict';
    else {
      dataKinds = kindsOfType(s.map);
      if (dataKinds === undefined) return { unknown: `map ${s.name}: data type ${JSON.stringify(s.map)} not modelled` };
    }
  }
  const c = compileElements(s.name, s.elements, kinds, dataKinds);
  if (isUnknown(c)) return c;
  // Sets that traffic fills (`update @affinity-...`, flags dynamic/timeout): the snapshot holds
  // what they contained when collected.
  if (s.flags.includes('dynamic') || s.flags.includes('timeout') || s.timeout !== undefined)
    c.note = `set ${s.name} changes with traffic: its ${s.elements.length} element(s) as collected`;
  return c;
}
