// A native nftables rule (`nft -j list ruleset`, libnftables-json(5)) as one line in
// `nft -a list ruleset` syntax, for evidence. It covers the statements kube-proxy (nftables mode),
// Calico, Cilium, Docker and iptables-nft write; any other statement is shown as its name and
// JSON, never dropped.
import { int, isObject, str, strings } from '../parse/fields.ts';
import type { JsonObject } from '../parse/fields.ts';

type Json = unknown;

const MAX_RENDER_DEPTH = 32;
const MAX_RENDER_CHARS = 4000;

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
  const fib = left['fib'];
  if (isObject(fib) && fib['result'] === 'oifname') return { hex: false, quote: true };
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
      // A list on the right is a set of flags (`ct state established,related`), not a concatenation.
      const r = o['right'];
      const right = Array.isArray(r)
        ? r.map((x) => renderExpr(x, contextOf(o['left']), 2)).join(',')
        : renderExpr(r, contextOf(o['left']), 1);
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
      // nft prints a packet limit's burst only when it is not the default 5 (src/statement.c limit_stmt_print).
      const burst = int(o['burst']);
      return `limit rate ${inv}${int(o['rate']) ?? '?'}/${str(o['per']) ?? 'second'}${burst && burst !== 5 ? ` burst ${burst} packets` : ''}`;
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
