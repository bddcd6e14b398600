// Parser for `nft -j list ruleset` (libnftables JSON, libnftables-json(5)): tables, chains with
// their hook/priority/policy, rules with their statements kept as JSON, and named sets/maps.
// The engine does not evaluate native nftables; it needs to know which base chains exist on which
// hooks, and whether a table is only iptables-nft's own (then iptables-nft-save shows the same
// rules and the iptables parser covers them) or holds native rules nobody else shows.
//
// Every rule also gets a one-line rendering in `nft list ruleset` syntax for evidence. It covers
// the statements kube-proxy (nftables mode), Calico, Cilium, Docker and iptables-nft write; any
// other statement is shown as its name and JSON, never dropped.

import type { NftChain, NftFamily, NftRule, NftRuleset, NftSet, NftTable, Parsed } from '../types.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

type Json = unknown;
type JsonObject = Record<string, Json>;

const FAMILIES: ReadonlySet<string> = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

/** Top-level objects we do not model; listed so that they do not produce warnings. */
const IGNORED_KINDS: ReadonlySet<string> = new Set([
  'metainfo',
  'element',
  'flowtable',
  'counter',
  'quota',
  'ct helper',
  'ct timeout',
  'ct expectation',
  'limit',
  'secmark',
  'synproxy',
]);

/** nft(8) "STANDARD PRIORITY NAMES" (netfilter hooks of the ip/ip6/inet families). */
const PRIORITY_NAMES: ReadonlyMap<string, number> = new Map([
  ['raw', -300],
  ['mangle', -150],
  ['dstnat', -100],
  ['filter', 0],
  ['security', 50],
  ['srcnat', 100],
]);

const MAX_RENDER_DEPTH = 32;
const MAX_RENDER_CHARS = 4000;

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function int(v: Json): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function strings(v: Json): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

function family(v: Json): NftFamily | undefined {
  return typeof v === 'string' && FAMILIES.has(v) ? (v as NftFamily) : undefined;
}

/** "dstnat", "dstnat - 10", -100 → number. */
function priority(v: Json): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*([a-z]+)\s*(?:([+-])\s*(\d+))?\s*$/.exec(v);
  if (m === null) return /^-?\d+$/.test(v.trim()) ? Number(v) : undefined;
  const base = PRIORITY_NAMES.get(m[1] ?? '');
  if (base === undefined) return undefined;
  const delta = m[3] === undefined ? 0 : Number(m[3]);
  return m[2] === '-' ? base - delta : base + delta;
}

// ---------------------------------------------------------------- rendering

interface RenderContext {
  /** Print numbers as 0x... (marks and masks, as nft does). */
  hex: boolean;
  /** Quote strings (interface names, as nft does). */
  quote: boolean;
}

const PLAIN: RenderContext = { hex: false, quote: false };
const BARE_META_KEYS: ReadonlySet<string> = new Set(['iifname', 'oifname', 'iif', 'oif', 'iiftype', 'oiftype']);
const VERDICTS: ReadonlySet<string> = new Set(['accept', 'drop', 'continue', 'return']);

function hex(n: number): string {
  return n >= 0 ? `0x${n.toString(16).padStart(8, '0')}` : String(n);
}

function quoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** JSON of an unknown construct, shortened. */
function opaque(v: Json): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? 'null';
  } catch {
    s = '?';
  }
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Context implied by the left-hand side of a match (what nft does when it prints the right). */
function contextOf(left: Json): RenderContext {
  if (!isObject(left)) return PLAIN;
  const meta = left['meta'];
  if (isObject(meta)) {
    const key = str(meta['key']);
    if (key === 'iifname' || key === 'oifname' || key === 'ibrname' || key === 'obrname')
      return { hex: false, quote: true };
    if (key === 'mark') return { hex: true, quote: false };
  }
  const ct = left['ct'];
  if (isObject(ct) && str(ct['key']) === 'mark') return { hex: true, quote: false };
  for (const op of ['&', '|', '^']) {
    const operands = left[op];
    if (Array.isArray(operands)) return contextOf(operands[0]);
  }
  return PLAIN;
}

function renderVerdict(key: string, value: Json): string | undefined {
  if (VERDICTS.has(key)) return key;
  if (key === 'jump' || key === 'goto') {
    const target = isObject(value) ? str(value['target']) : undefined;
    return target === undefined ? `${key} ?` : `${key} ${target}`;
  }
  return undefined;
}

/** Renders an expression (the left or right of a match, a key, an element...). */
function renderExpr(v: Json, ctx: RenderContext, depth: number): string {
  if (depth > MAX_RENDER_DEPTH) return '…';
  if (typeof v === 'string') return ctx.quote ? quoted(v) : v;
  if (typeof v === 'number') return ctx.hex ? hex(v) : String(v);
  if (typeof v === 'boolean') return v ? 'exists' : 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.map((x) => renderExpr(x, ctx, depth + 1)).join(' . ');
  if (!isObject(v)) return opaque(v);
  const keys = Object.keys(v);
  const key = keys[0];
  if (key === undefined || keys.length !== 1) return opaque(v);
  const val = v[key];
  const verdict = renderVerdict(key, val);
  if (verdict !== undefined) return verdict;
  const o = isObject(val) ? val : {};
  switch (key) {
    case 'payload': {
      const proto = str(o['protocol']);
      const field = str(o['field']);
      if (proto !== undefined && field !== undefined) return `${proto} ${field}`;
      return `@${str(o['base']) ?? '?'},${int(o['offset']) ?? '?'},${int(o['len']) ?? '?'}`;
    }
    case 'meta': {
      // Interface keys print bare ("iifname"), the others qualified ("meta l4proto", "meta mark").
      const k = str(o['key']) ?? '?';
      return BARE_META_KEYS.has(k) ? k : `meta ${k}`;
    }
    case 'ct': {
      const dir = str(o['dir']);
      return `ct ${dir === undefined ? '' : `${dir} `}${str(o['key']) ?? '?'}`;
    }
    case 'prefix':
      return `${renderExpr(o['addr'], ctx, depth + 1)}/${int(o['len']) ?? '?'}`;
    case 'range':
      return Array.isArray(val)
        ? `${renderExpr(val[0], ctx, depth + 1)}-${renderExpr(val[1], ctx, depth + 1)}`
        : opaque(v);
    case 'concat':
      return Array.isArray(val) ? val.map((x) => renderExpr(x, ctx, depth + 1)).join(' . ') : opaque(v);
    case 'set':
      return renderSetLiteral(val, ctx, depth);
    case 'map':
      return `${renderExpr(o['key'], PLAIN, depth + 1)} map ${renderExpr(o['data'], PLAIN, depth + 1)}`;
    case 'elem': {
      const comment = str(o['comment']);
      return `${renderExpr(o['val'], ctx, depth + 1)}${comment === undefined ? '' : ` comment ${quoted(comment)}`}`;
    }
    case 'fib': {
      const flags = strings(o['flags']) ?? [];
      return `fib ${flags.join(' . ')} ${str(o['result']) ?? '?'}`;
    }
    case 'numgen': {
      const offset = int(o['offset']);
      return `numgen ${str(o['mode']) ?? '?'} mod ${int(o['mod']) ?? '?'}${offset ? ` offset ${offset}` : ''}`;
    }
    case 'jhash':
    case 'symhash':
      return `${key} ${o['expr'] === undefined ? '' : `${renderExpr(o['expr'], PLAIN, depth + 1)} `}mod ${int(o['mod']) ?? '?'}`;
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>':
      // The mask takes the notation of what it masks: "meta mark & 0x00004000".
      return Array.isArray(val) && val.length === 2
        ? `${renderExpr(val[0], ctx, depth + 1)} ${key} ${renderExpr(val[1], contextOf(val[0]), depth + 1)}`
        : opaque(v);
    default:
      return `${key} ${opaque(val)}`;
  }
}

/** `{ a, b }`, or for maps/vmaps `{ k : v, ... }` (elements are [key, value] pairs). */
function renderSetLiteral(val: Json, ctx: RenderContext, depth: number): string {
  if (!Array.isArray(val)) return renderExpr(val, ctx, depth + 1);
  const items = val.map((e) =>
    Array.isArray(e) && e.length === 2
      ? `${renderExpr(e[0], ctx, depth + 1)} : ${renderExpr(e[1], PLAIN, depth + 1)}`
      : renderExpr(e, ctx, depth + 1),
  );
  return `{ ${items.join(', ')} }`;
}

function renderAddrPort(o: JsonObject, depth: number): string {
  const addr = o['addr'] === undefined ? '' : renderExpr(o['addr'], PLAIN, depth + 1);
  const port = o['port'] === undefined ? '' : `:${renderExpr(o['port'], PLAIN, depth + 1)}`;
  return `${addr}${port}`;
}

function flagsText(v: Json): string {
  const f = strings(v);
  return f === undefined || f.length === 0 ? '' : ` ${f.join(',')}`;
}

function renderStatement(s: Json): string {
  if (!isObject(s)) return opaque(s);
  const keys = Object.keys(s);
  const key = keys[0];
  if (key === undefined || keys.length !== 1) return opaque(s);
  const val = s[key];
  const verdict = renderVerdict(key, val);
  if (verdict !== undefined) return verdict;
  const o = isObject(val) ? val : {};
  switch (key) {
    case 'match': {
      const op = str(o['op']) ?? '==';
      const left = renderExpr(o['left'], PLAIN, 1);
      const right = renderExpr(o['right'], contextOf(o['left']), 1);
      // nft leaves "==" implicit, except after a binary operation ("meta mark & 0x4000 == 0").
      const binop = isObject(o['left']) && ['&', '|', '^', '<<', '>>'].some((b) => b in (o['left'] as JsonObject));
      return (op === '==' && !binop) || op === 'in' ? `${left} ${right}` : `${left} ${op} ${right}`;
    }
    case 'counter': {
      if (typeof val === 'string') return `counter name ${val}`;
      const p = int(o['packets']);
      const b = int(o['bytes']);
      return p === undefined || b === undefined ? 'counter' : `counter packets ${p} bytes ${b}`;
    }
    case 'xt':
      return `xt ${str(o['type']) ?? '?'} ${quoted(str(o['name']) ?? '?')}`;
    case 'mangle': {
      const ctx = contextOf(o['key']);
      return `${renderExpr(o['key'], PLAIN, 1)} set ${renderExpr(o['value'], ctx, 1)}`;
    }
    case 'snat':
    case 'dnat': {
      const fam = str(o['family']);
      const to = renderAddrPort(o, 1);
      return `${key}${fam === undefined ? '' : ` ${fam}`}${to === '' ? '' : ` to ${to}`}${flagsText(o['flags'])}`;
    }
    case 'masquerade':
    case 'redirect': {
      const port = o['port'] === undefined ? '' : ` to :${renderExpr(o['port'], PLAIN, 1)}`;
      return `${key}${port}${flagsText(o['flags'])}`;
    }
    case 'reject': {
      if (val === null) return 'reject';
      const type = str(o['type']);
      const code = o['expr'] === undefined ? undefined : renderExpr(o['expr'], PLAIN, 1);
      if (type === 'tcp reset') return 'reject with tcp reset';
      // nft prints a bare "reject" for the default, port-unreachable (nft(8) "REJECT STATEMENT").
      if (code === 'port-unreachable' && (type === 'icmp' || type === 'icmpv6' || type === 'icmpx')) return 'reject';
      return type === undefined ? 'reject' : `reject with ${type}${code === undefined ? '' : ` ${code}`}`;
    }
    case 'log': {
      const parts = ['log'];
      const prefix = str(o['prefix']);
      if (prefix !== undefined) parts.push(`prefix ${quoted(prefix)}`);
      if (o['level'] !== undefined) parts.push(`level ${renderExpr(o['level'], PLAIN, 1)}`);
      if (o['group'] !== undefined) parts.push(`group ${renderExpr(o['group'], PLAIN, 1)}`);
      return parts.join(' ');
    }
    case 'limit': {
      const inv = o['inv'] === true ? 'over ' : '';
      const burst = int(o['burst']);
      return `limit rate ${inv}${int(o['rate']) ?? '?'}/${str(o['per']) ?? 'second'}${burst ? ` burst ${burst} packets` : ''}`;
    }
    case 'notrack':
      return 'notrack';
    case 'set':
      return `${str(o['op']) ?? '?'} ${str(o['set']) ?? '?'} { ${renderExpr(o['elem'], PLAIN, 1)} }`;
    case 'vmap':
      return `${renderExpr(o['key'], PLAIN, 1)} vmap ${renderExpr(o['data'], PLAIN, 1)}`;
    case 'tproxy':
      return `tproxy${str(o['family']) === undefined ? '' : ` ${str(o['family'])}`} to ${renderAddrPort(o, 1)}`;
    case 'queue':
      return `queue${o['num'] === undefined ? '' : ` num ${renderExpr(o['num'], PLAIN, 1)}`}${flagsText(o['flags'])}`;
    default:
      return `${key} ${opaque(val)}`;
  }
}

/** One line in `nft -a list ruleset` style for a rule's statements. */
export function renderNftRule(expr: readonly Json[], comment?: string, handle?: number): string {
  let text = expr.map(renderStatement).join(' ');
  if (comment !== undefined) text += ` comment ${quoted(comment)}`;
  if (handle !== undefined) text += ` # handle ${handle}`;
  return text.length > MAX_RENDER_CHARS ? `${text.slice(0, MAX_RENDER_CHARS)}…` : text;
}

// ---------------------------------------------------------------- structure

function tableKey(fam: string, name: string): string {
  return `${fam} ${name}`;
}

function jsonText(v: Json): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** Parses `nft -j list ruleset`. Never throws; what it cannot read becomes warnings. */
export function parseNftJson(text: string): Parsed<NftRuleset> {
  const warnings = new Warnings();
  const ruleset: NftRuleset = { tables: [] };
  const empty = (msg: string): Parsed<NftRuleset> => {
    warnings.add(msg);
    return { value: ruleset, warnings: warnings.done() };
  };

  if (text.trim() === '') return { value: ruleset, warnings: [] };
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return empty(`not JSON: ${e instanceof Error ? e.message.slice(0, 200) : 'parse error'}`);
  }
  if (!isObject(doc) || !Array.isArray(doc['nftables']))
    return empty('not nft -j output: no top-level "nftables" array');

  const tables = new Map<string, NftTable>();
  const getTable = (fam: NftFamily, name: string, where: string, what: string): NftTable => {
    const key = tableKey(fam, name);
    let t = tables.get(key);
    if (t === undefined) {
      warnings.add(`${where}: ${what} refers to table ${fam} ${clip(name)} that was not listed before it`);
      t = { family: fam, name, flags: [], chains: new Map(), sets: new Map() };
      tables.set(key, t);
      ruleset.tables.push(t);
    }
    return t;
  };

  const items = doc['nftables'] as Json[];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const where = `item ${i}`;
    if (!isObject(item)) {
      warnings.add(`${where}: not an object`);
      continue;
    }
    const kinds = Object.keys(item);
    const kind = kinds[0];
    if (kind === undefined || kinds.length !== 1) {
      warnings.add(`${where}: expected one key, found ${excerpt(kinds.join(','))}`);
      continue;
    }
    const body = item[kind];
    if (kind === 'metainfo') {
      if (isObject(body)) {
        const version = str(body['version']);
        if (version !== undefined) ruleset.version = version;
      }
      continue;
    }
    if (IGNORED_KINDS.has(kind)) continue;
    if (kind !== 'table' && kind !== 'chain' && kind !== 'rule' && kind !== 'set' && kind !== 'map') {
      warnings.add(`${where}: unknown object ${excerpt(kind)}; ignored`);
      continue;
    }
    if (!isObject(body)) {
      warnings.add(`${where}: ${kind} is not an object`);
      continue;
    }
    const fam = family(body['family']);
    if (fam === undefined) {
      warnings.add(`${where}: ${kind} with bad family ${excerpt(jsonText(body['family']))}`);
      continue;
    }

    if (kind === 'table') {
      const name = str(body['name']);
      if (name === undefined) {
        warnings.add(`${where}: table without a name`);
        continue;
      }
      const key = tableKey(fam, name);
      if (tables.has(key)) {
        warnings.add(`${where}: table ${fam} ${clip(name)} listed twice`);
        continue;
      }
      const t: NftTable = {
        family: fam,
        name,
        flags: strings(body['flags']) ?? [],
        chains: new Map(),
        sets: new Map(),
      };
      const handle = int(body['handle']);
      if (handle !== undefined) t.handle = handle;
      const comment = str(body['comment']);
      if (comment !== undefined) t.comment = comment;
      tables.set(key, t);
      ruleset.tables.push(t);
      continue;
    }

    const tableName = str(body['table']);
    if (tableName === undefined) {
      warnings.add(`${where}: ${kind} without a table`);
      continue;
    }

    if (kind === 'chain') {
      const name = str(body['name']);
      if (name === undefined) {
        warnings.add(`${where}: chain without a name`);
        continue;
      }
      const t = getTable(fam, tableName, where, `chain ${clip(name)}`);
      if (t.chains.has(name)) {
        warnings.add(`${where}: chain ${clip(name)} listed twice in table ${fam} ${clip(tableName)}`);
        continue;
      }
      const chain: NftChain = { family: fam, table: tableName, name, rules: [], raw: jsonText(item) };
      const handle = int(body['handle']);
      if (handle !== undefined) chain.handle = handle;
      const type = str(body['type']);
      if (type !== undefined) chain.type = type;
      const hook = str(body['hook']);
      if (hook !== undefined) chain.hook = hook;
      if (body['prio'] !== undefined) {
        const prio = priority(body['prio']);
        if (prio === undefined)
          warnings.add(`${where}: chain ${clip(name)} has an unreadable priority ${excerpt(jsonText(body['prio']))}`);
        else chain.prio = prio;
      }
      const policy = str(body['policy']);
      if (policy !== undefined) chain.policy = policy;
      const devices = strings(body['dev']);
      if (devices !== undefined) chain.devices = devices;
      t.chains.set(name, chain);
      continue;
    }

    if (kind === 'rule') {
      const chainName = str(body['chain']);
      if (chainName === undefined) {
        warnings.add(`${where}: rule without a chain`);
        continue;
      }
      const expr = body['expr'];
      if (!Array.isArray(expr)) {
        warnings.add(`${where}: rule in ${fam} ${clip(tableName)} ${clip(chainName)} without an "expr" array`);
        continue;
      }
      const t = getTable(fam, tableName, where, 'a rule');
      let chain = t.chains.get(chainName);
      if (chain === undefined) {
        warnings.add(
          `${where}: rule for chain ${clip(chainName)} that was not listed in table ${fam} ${clip(tableName)}`,
        );
        chain = { family: fam, table: tableName, name: chainName, rules: [], raw: '' };
        t.chains.set(chainName, chain);
      }
      const handle = int(body['handle']);
      const comment = str(body['comment']);
      const rule: NftRule = {
        family: fam,
        table: tableName,
        chain: chainName,
        position: chain.rules.length + 1,
        expr,
        text: renderNftRule(expr, comment, handle),
        raw: jsonText(item),
      };
      if (handle !== undefined) rule.handle = handle;
      if (comment !== undefined) rule.comment = comment;
      chain.rules.push(rule);
      continue;
    }

    // set or map
    const name = str(body['name']);
    const type = strings(body['type']);
    if (name === undefined || type === undefined) {
      warnings.add(`${where}: ${kind} without a name or type`);
      continue;
    }
    const t = getTable(fam, tableName, where, `${kind} ${clip(name)}`);
    const set: NftSet = {
      family: fam,
      table: tableName,
      name,
      kind,
      type: type.length === 1 ? (type[0] as string) : type,
      flags: strings(body['flags']) ?? [],
      elements: Array.isArray(body['elem']) ? (body['elem'] as Json[]) : [],
      raw: jsonText(item),
    };
    const handle = int(body['handle']);
    if (handle !== undefined) set.handle = handle;
    const data = strings(body['map']);
    if (data !== undefined) set.map = data.length === 1 ? (data[0] as string) : data;
    const timeout = int(body['timeout']);
    if (timeout !== undefined) set.timeout = timeout;
    const comment = str(body['comment']);
    if (comment !== undefined) set.comment = comment;
    if (t.sets.has(name))
      warnings.add(`${where}: ${kind} ${clip(name)} listed twice in table ${fam} ${clip(tableName)}`);
    else t.sets.set(name, set);
  }
  return { value: ruleset, warnings: warnings.done() };
}

// ---------------------------------------------------------------- iptables-nft or native?

const IPTABLES_TABLES: ReadonlySet<string> = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);

/** Priorities iptables-nft gives its built-in chains (iptables/nft.c, `builtin_table`). */
const IPTABLES_PRIORITY: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map([
  [
    'raw',
    new Map([
      ['prerouting', -300],
      ['output', -300],
    ]),
  ],
  [
    'mangle',
    new Map([
      ['prerouting', -150],
      ['input', -150],
      ['forward', -150],
      ['output', -150],
      ['postrouting', -150],
    ]),
  ],
  [
    'nat',
    new Map([
      ['prerouting', -100],
      ['input', 100],
      ['output', -100],
      ['postrouting', 100],
    ]),
  ],
  [
    'filter',
    new Map([
      ['input', 0],
      ['forward', 0],
      ['output', 0],
    ]),
  ],
  [
    'security',
    new Map([
      ['input', 50],
      ['forward', 50],
      ['output', 50],
    ]),
  ],
]);
/** Statements iptables-nft writes itself: xt matches/targets and its native translations. */
const IPTABLES_NFT_STATEMENTS: ReadonlySet<string> = new Set([
  'xt',
  'counter',
  'accept',
  'drop',
  'return',
  'jump',
  'goto',
  'limit',
  'log',
  'reject',
]);
/** Left-hand sides of the matches iptables-nft translates natively (-s -d -i -o -p, ports, mark). */
const IPTABLES_NFT_MATCH_LEFT: ReadonlySet<string> = new Set(['payload', 'meta', 'ct', '&']);

function isLiteral(v: Json): boolean {
  if (typeof v === 'number') return true;
  if (typeof v === 'string') return !v.startsWith('@'); // "@name" is a named set
  if (!isObject(v)) return false;
  const key = Object.keys(v)[0];
  return key === 'prefix' || key === 'range';
}

/**
 * Could iptables-nft have written this rule? True when every statement is one iptables-nft
 * emits: `xt` extensions, counters, verdicts, and the native translations of core matches
 * (payload/meta/ct compared with a literal). Sets, maps, vmaps, numgen, NAT/mangle statements
 * and the like are native nftables: iptables-nft-save cannot show them.
 */
export function isIptablesNftRule(rule: NftRule): boolean {
  for (const s of rule.expr) {
    if (!isObject(s)) return false;
    const key = Object.keys(s)[0];
    if (key === undefined || !IPTABLES_NFT_STATEMENTS.has(key)) {
      if (key !== 'match') return false;
      const m = s['match'];
      if (!isObject(m) || !isObject(m['left']) || !isLiteral(m['right'])) return false;
      const leftKey = Object.keys(m['left'])[0];
      if (leftKey === undefined || !IPTABLES_NFT_MATCH_LEFT.has(leftKey)) return false;
    }
  }
  return true;
}

/**
 * Is this table only iptables-nft's own, so that `iptables-nft-save` shows everything in it?
 * Family ip/ip6, one of iptables' table names, no named sets, base chains that are iptables'
 * built-ins (name = hook in capitals, iptables' priority for that table), and rules iptables-nft
 * could have written (isIptablesNftRule). nft itself warns "managed by iptables-nft" whenever a
 * table has an `xt` statement (nftables src/rule.c table_print); this is stricter, because a
 * native rule added to iptables-nft's table is invisible to iptables-nft-save.
 */
export function isIptablesNftTable(t: NftTable): boolean {
  if ((t.family !== 'ip' && t.family !== 'ip6') || !IPTABLES_TABLES.has(t.name)) return false;
  if (t.sets.size > 0) return false;
  const priorities = IPTABLES_PRIORITY.get(t.name);
  for (const chain of t.chains.values()) {
    if (chain.hook !== undefined) {
      if (chain.name !== chain.hook.toUpperCase()) return false;
      if (priorities === undefined || chain.prio !== priorities.get(chain.hook)) return false;
    }
    for (const rule of chain.rules) if (!isIptablesNftRule(rule)) return false;
  }
  return true;
}
