// Targets (-j / -g) compiled once: verdicts, jumps, mark arithmetic, conntrack and NAT targets.
import type { IptOption, IptRule, IptTable } from '../../model/types.ts';
import type { CompiledTarget, MarkOp, NatRange } from './compiled.ts';
import { parseNatRange, parsePortsOption } from './nat.ts';
import { arg, parseAddrMask, parseU32, parseValueMask } from './options.ts';

/**
 * Targets that neither end the walk nor change anything the engine models: they log, count,
 * clamp MSS, fix checksums, classify for qdiscs, clone, or rewrite header fields the engine does
 * not follow (TOS/DSCP/TTL/ECN). SET adds to or deletes from an ipset, which affects later
 * packets, not this one.
 */
const INERT: ReadonlySet<string> = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'AUDIT',
  'CHECKSUM',
  'TCPMSS',
  'TCPOPTSTRIP',
  'CLASSIFY',
  'IDLETIMER',
  'LED',
  'SECMARK',
  'CONNSECMARK',
  'RATEEST',
  'TEE',
  'DSCP',
  'TOS',
  'TTL',
  'ECN',
  'SET',
]);

const NOT_MODELLED: Readonly<Record<string, string>> = {
  QUEUE: 'the packet is handed to a userspace program, which decides',
  NFQUEUE: 'the packet is handed to a userspace program, which decides',
  TPROXY: 'transparent proxying depends on the sockets open on the host',
  SYNPROXY: 'SYN proxying is not modelled',
  HMARK: 'the mark is a hash of the packet',
  CLUSTERIP: 'CLUSTERIP is not modelled',
};

/** MARK/CONNMARK value arithmetic as libxt_MARK.c / libxt_CONNMARK.c turn options into (mark, mask). */
function markOp(o: IptOption): MarkOp | undefined {
  const a = arg(o);
  switch (o.name) {
    case 'set-xmark': {
      const vm = parseValueMask(a);
      return vm && { mask: vm.mask, xor: vm.value };
    }
    case 'set-mark': {
      const vm = parseValueMask(a);
      return vm && { mask: (vm.mask | vm.value) >>> 0, xor: vm.value };
    }
    case 'and-mark': {
      const v = parseU32(a);
      return v === undefined ? undefined : { mask: ~v >>> 0, xor: 0 };
    }
    case 'or-mark': {
      const v = parseU32(a);
      return v === undefined ? undefined : { mask: v, xor: v };
    }
    case 'xor-mark': {
      const v = parseU32(a);
      return v === undefined ? undefined : { mask: 0, xor: v };
    }
    default:
      return undefined;
  }
}

function bad(name: string, o: IptOption): CompiledTarget {
  return {
    kind: 'unknown',
    reason: `-j ${name}: option ${o.negated ? '! ' : ''}--${o.name} ${o.args.join(' ')} not understood`.trimEnd(),
  };
}

function compileMarkTarget(options: readonly IptOption[]): CompiledTarget {
  const o = options[0];
  if (options.length !== 1 || o === undefined)
    return { kind: 'unknown', reason: '-j MARK: expected exactly one option' };
  const op = markOp(o);
  return op === undefined ? bad('MARK', o) : { kind: 'mark', op };
}

function compileConnmark(options: readonly IptOption[]): CompiledTarget {
  let mode: 'save' | 'restore' | undefined;
  let nfmask = 0xffffffff;
  let ctmask = 0xffffffff;
  for (const o of options) {
    if (o.name === 'save-mark' || o.name === 'restore-mark') mode = o.name === 'save-mark' ? 'save' : 'restore';
    else if (o.name === 'nfmask' || o.name === 'ctmask' || o.name === 'mask') {
      const v = parseU32(arg(o));
      if (v === undefined) return bad('CONNMARK', o);
      if (o.name !== 'ctmask') nfmask = v;
      if (o.name !== 'nfmask') ctmask = v;
    } else {
      const op = options.length === 1 ? markOp(o) : undefined;
      // --left-shift-mark / --right-shift-mark (revision 2) are not modelled.
      return op === undefined ? bad('CONNMARK', o) : { kind: 'connmark-set', op };
    }
  }
  if (mode === undefined) return { kind: 'unknown', reason: '-j CONNMARK without a mode' };
  return mode === 'save' ? { kind: 'connmark-save', nfmask, ctmask } : { kind: 'connmark-restore', nfmask, ctmask };
}

function compileNat(
  name: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' | 'NETMAP',
  options: readonly IptOption[],
): CompiledTarget {
  let range: NatRange = {};
  let randomFully = false;
  let netmap: { net: number; mask: number } | undefined;
  for (const o of options) {
    const a = arg(o);
    if (o.name === 'random' || o.name === 'persistent') continue;
    if (o.name === 'random-fully') {
      randomFully = true;
      continue;
    }
    if ((name === 'DNAT' && o.name === 'to-destination') || (name === 'SNAT' && o.name === 'to-source')) {
      const r = parseNatRange(a);
      if (r === undefined) return bad(name, o);
      range = r;
    } else if ((name === 'MASQUERADE' || name === 'REDIRECT') && o.name === 'to-ports') {
      const r = parsePortsOption(a);
      if (r === undefined) return bad(name, o);
      range = r;
    } else if (name === 'NETMAP' && o.name === 'to') {
      netmap = parseAddrMask(a);
      if (netmap === undefined) return bad(name, o);
    } else return bad(name, o);
  }
  const nat =
    name === 'DNAT'
      ? 'dnat'
      : name === 'SNAT'
        ? 'snat'
        : name === 'MASQUERADE'
          ? 'masquerade'
          : name === 'REDIRECT'
            ? 'redirect'
            : 'netmap';
  if (nat === 'netmap' && netmap === undefined) return { kind: 'unknown', reason: '-j NETMAP without --to' };
  if ((nat === 'dnat' || nat === 'snat') && range.minAddr === undefined && range.minPort === undefined) {
    return { kind: 'unknown', reason: `-j ${name} without a range` };
  }
  return netmap === undefined
    ? { kind: 'nat', nat, range, randomFully }
    : { kind: 'nat', nat, range, randomFully, netmapPrefix: netmap };
}

function compileCt(options: readonly IptOption[]): CompiledTarget {
  if (options.some((o) => o.name === 'notrack')) return { kind: 'notrack' };
  // CT --zone/--helper/--timeout/--ctevents: conntrack zones and helpers are not modelled.
  return {
    kind: 'inert',
    name: 'CT',
    note: `CT ${options.map((o) => `--${o.name} ${o.args.join(' ')}`.trim()).join(' ')}: not modelled`,
  };
}

export function compileTarget(rule: IptRule, table: IptTable): CompiledTarget {
  const t = rule.target;
  if (t === null) return { kind: 'none' };
  if (table.chains.has(t.name) && !isBuiltinName(t.name)) return { kind: 'jump', chain: t.name, goto: rule.goto };
  const opts = t.options;
  switch (t.name) {
    case 'ACCEPT':
      return { kind: 'accept' };
    case 'DROP':
      return { kind: 'drop' };
    case 'RETURN':
      return { kind: 'return' };
    case 'REJECT': {
      const w = opts.find((o) => o.name === 'reject-with');
      return { kind: 'reject', with: (w && arg(w)) ?? 'icmp-port-unreachable' };
    }
    case 'MARK':
      return compileMarkTarget(opts);
    case 'CONNMARK':
      return compileConnmark(opts);
    case 'NOTRACK':
      return { kind: 'notrack' };
    case 'CT':
      return compileCt(opts);
    case 'DNAT':
    case 'SNAT':
    case 'MASQUERADE':
    case 'REDIRECT':
    case 'NETMAP':
      return compileNat(t.name, opts);
    default:
      if (INERT.has(t.name)) return { kind: 'inert', name: t.name };
      return {
        kind: 'unknown',
        reason: `-j ${t.name}: ${NOT_MODELLED[t.name] ?? (table.chains.has(t.name) ? 'jump to a built-in chain' : `no chain ${t.name} in table ${table.name} and not a target the evaluator knows`)}`,
      };
  }
}

const BUILTIN_CHAINS: ReadonlySet<string> = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

function isBuiltinName(name: string): boolean {
  return BUILTIN_CHAINS.has(name);
}
