// Parses `ip -j rule show` (section "ip-rule"). Without -4/-6, ip lists IPv4 rules only
// (ip/iprule.c dumps AF_INET unless a family is given), so a rule without addresses is IPv4.
// Keys as ip/iprule.c print_rule writes them (see test/fixtures/ip/ip-rule.json):
//   "src": "all" | address, "srclen" (absent = host length); "dst"/"dstlen" likewise;
//   "not": null for `not`; "fwmark"/"fwmask" as hex strings, mask omitted when 0xffffffff;
//   "table": name or number string; "goto": N; "nop": null; "action": "blackhole" | ...;
//   "suppress_prefixlen": N.
import type { Family, Parsed, PolicyRule, RuleAction } from '../types.ts';
import { type Fields, parseUint } from './fields.ts';
import { familyOf, joinPrefix } from './ip-text.ts';
import { mapJsonObjects } from './json-array.ts';
import { tableRef } from './route-table.ts';
import { Warnings, quote } from './warnings.ts';

const SECTION = 'ip-rule';
const FULL_MASK = 0xffffffff;

/** Keys the model represents, or that do not select packets ("protocol" says who added the rule). */
const MODELLED_KEYS: ReadonlySet<string> = new Set([
  'priority',
  'not',
  'src',
  'srclen',
  'dst',
  'dstlen',
  'iif',
  'oif',
  'iif_detached',
  'oif_detached',
  'fwmark',
  'fwmask',
  'tos',
  'table',
  'goto',
  'unresolved',
  'nop',
  'action',
  'suppress_prefixlen',
  'protocol',
]);
const ACTIONS: ReadonlySet<string> = new Set(['blackhole', 'unreachable', 'prohibit']);

function ruleFamily(f: Fields, fallback: Family): Family {
  for (const key of ['src', 'dst']) {
    const v = f.obj[key];
    const fam = typeof v === 'string' ? familyOf(v) : undefined;
    if (fam !== undefined) return fam;
  }
  return fallback;
}

/** "src" + "srclen" → CIDR; undefined for "all" (any source). */
function selector(f: Fields, key: string, family: Family, w: Warnings): string | undefined {
  const addr = f.str(key);
  if (addr === undefined || addr === 'all') return undefined;
  const len = f.uint(`${key}len`);
  const cidr = joinPrefix(addr, len, family);
  if (cidr === undefined) w.add(`${f.where}: ${key} ${quote(addr)}/${len ?? ''} is not a prefix`);
  return cidr;
}

function parseRule(f: Fields, raw: string, w: Warnings, fallback: Family): PolicyRule | undefined {
  const family = ruleFamily(f, fallback);
  const priority = f.uint('priority');
  if (priority === undefined) {
    w.add(`${f.where}: rule without a priority; skipped`);
    return undefined;
  }
  const unmodeled = Object.keys(f.obj).filter((k) => !MODELLED_KEYS.has(k));

  let action: RuleAction;
  if (f.has('goto')) action = 'goto';
  else if (f.has('nop')) action = 'nop';
  else if (f.has('action')) {
    const a = f.str('action') ?? '';
    if (!ACTIONS.has(a)) {
      w.add(`${f.where}: unknown rule action ${quote(a)}; skipped`);
      return undefined;
    }
    action = a as RuleAction;
  } else if (f.has('table') || f.has('l3mdev')) action = 'table';
  else {
    w.add(`${f.where}: rule with neither a table nor an action; skipped`);
    return undefined;
  }

  const rule: PolicyRule = { family, priority, invert: f.has('not'), action, raw };
  const src = selector(f, 'src', family, w);
  const dst = selector(f, 'dst', family, w);
  if (src !== undefined) rule.src = src;
  if (dst !== undefined) rule.dst = dst;
  if ((f.has('src') && f.obj['src'] !== 'all' && src === undefined) || (f.has('dst') && dst === undefined)) {
    unmodeled.push('unreadable prefix'); // a selector we could not read must not match everything
  }
  const iif = f.str('iif');
  const oif = f.str('oif');
  if (iif !== undefined) rule.iif = iif;
  if (oif !== undefined) rule.oif = oif;
  const fwmark = f.uint('fwmark');
  if (fwmark !== undefined) {
    rule.fwmark = fwmark;
    rule.fwmask = f.uint('fwmask') ?? FULL_MASK;
  }
  const tosText = f.text('tos');
  if (tosText !== undefined) {
    const tos = parseUint(tosText);
    if (tos === undefined)
      unmodeled.push(`tos ${tosText}`); // a name from rt_dsfield
    else rule.tos = tos;
  }
  const tableText = f.text('table');
  if (tableText !== undefined) {
    const t = tableRef(tableText);
    if (t === undefined) {
      w.add(`${f.where}: table ${quote(tableText)} is neither a number nor a name`);
      unmodeled.push(`table ${tableText}`);
    } else {
      rule.table = t.table;
      if (t.name !== undefined) rule.tableName = t.name;
    }
  }
  if (action === 'goto') {
    const target = f.uint('goto');
    if (target !== undefined) rule.gotoPriority = target;
    else unmodeled.push('goto target'); // "goto": "none"
  }
  const suppress = f.uint('suppress_prefixlen');
  if (suppress !== undefined) rule.suppressPrefixLength = suppress;
  if (unmodeled.length > 0) rule.unmodeled = unmodeled;
  return rule;
}

/** `family`: of rules with no address in them; the probe's `ip -j rule show` lists IPv4 rules. */
export function parseIpRule(text: string, opts: { family?: Family } = {}): Parsed<PolicyRule[]> {
  const w = new Warnings();
  const fallback = opts.family ?? 'inet';
  const rules = mapJsonObjects(text, SECTION, w, (f, raw) => parseRule(f, raw, w, fallback));
  // The kernel evaluates rules in priority order; ip prints them that way, but a merged or edited
  // snapshot might not be, and order is what the engine relies on. Stable for equal priorities.
  rules.sort((a, b) => a.priority - b.priority);
  return { value: rules, warnings: w.done() };
}
