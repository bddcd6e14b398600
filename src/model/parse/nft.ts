// Parser for `nft -j list ruleset` (libnftables JSON, libnftables-json(5)): tables, chains with
// their hook/priority/policy, rules with their statements kept as JSON, and named sets/maps.
// The engine does not evaluate native nftables; it needs to know which base chains exist on which
// hooks, and whether a table is only iptables-nft's own (then iptables-nft-save shows the same
// rules and the iptables parser covers them) or holds native rules nobody else shows.
//
// Every rule also gets a one-line rendering in `nft list ruleset` syntax for evidence
// (model/render/nft.ts).

import type { NftChain, NftFamily, NftRule, NftRuleset, NftSet, NftTable, Parsed } from '../types.ts';
import { renderNftRule } from '../render/nft.ts';
import { int, isObject, str, strings } from './fields.ts';
import { clip, excerpt, Warnings } from './warnings.ts';

type Json = unknown;

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
