// -m physdev (net/netfilter/xt_physdev.c physdev_mt): bridge ports of a packet that br_netfilter
// hands to iptables. Without bridge info every used option must be negated to match; with it,
// --physdev-is-bridged tests for an output port, --physdev-is-in/-out for the ports, and
// --physdev-in/-out compare names ("+" wildcard). An absent input port passes --physdev-in; an
// absent output port fails --physdev-out, whatever the "!".
import type { IptMatch } from '../../../model/types.ts';
import type { CompiledMatch, MatchCtx } from '../compiled.ts';
import { arg, badOption, ifaceTest } from '../options.ts';

interface PhysdevSpec {
  in?: { test: (n: string) => boolean; neg: boolean };
  out?: { test: (n: string) => boolean; neg: boolean };
  isIn?: boolean; // value = negated
  isOut?: boolean;
  isBridged?: boolean;
}

function evaluate(s: PhysdevSpec, c: MatchCtx): boolean {
  const pd = c.physdev;
  if (pd === undefined) {
    // "Return MATCH if the invert flags of the used options are on".
    return (
      (s.isBridged ?? true) && (s.isIn ?? true) && (s.isOut ?? true) && (s.in?.neg ?? true) && (s.out?.neg ?? true)
    );
  }
  const outdev = pd.out;
  const indev = pd.in;
  if (s.isBridged !== undefined && (outdev !== undefined) === s.isBridged) return false;
  if (s.isIn !== undefined && (indev === undefined) !== s.isIn) return false;
  if (s.isOut !== undefined && (outdev === undefined) !== s.isOut) return false;
  if (s.in !== undefined && indev !== undefined && s.in.test(indev) === s.in.neg) return false;
  if (s.out === undefined) return true;
  if (outdev === undefined) return false;
  return s.out.test(outdev) !== s.out.neg;
}

export function compilePhysdev(m: IptMatch): CompiledMatch[] {
  const spec: PhysdevSpec = {};
  const out: CompiledMatch[] = [];
  for (const o of m.options) {
    const name = arg(o);
    if ((o.name === 'physdev-in' || o.name === 'physdev-out') && name !== undefined) {
      spec[o.name === 'physdev-in' ? 'in' : 'out'] = { test: ifaceTest(name), neg: o.negated };
    } else if (o.name === 'physdev-is-in' && o.args.length === 0) spec.isIn = o.negated;
    else if (o.name === 'physdev-is-out' && o.args.length === 0) spec.isOut = o.negated;
    else if (o.name === 'physdev-is-bridged' && o.args.length === 0) spec.isBridged = o.negated;
    else out.push(badOption('physdev', o));
  }
  out.push({ kind: 'pred', pred: (c) => evaluate(spec, c) });
  return out;
}
