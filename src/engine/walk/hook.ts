// A netfilter hook on the walk: the evaluator's outcomes (netfilter/) become hops and branches.
import type { Ipv4 } from '../../lib/ipv4.ts';
import { newView } from '../conntrack.ts';
import type { HostNet } from '../host-net.ts';
import { NEEDS } from '../data-gaps.ts';
import { netfilterEnv } from '../netfilter-env.ts';
import type { Hook, NfOutcome, NfRule, PhysdevView } from '../netfilter/types.ts';
import type { Packet } from '../packet.ts';
import type { HopStep, NetfilterPlace } from '../trace.ts';
import { gapOn, unknownWithout } from './gaps.ts';
import { describePacket, die, hop, withEffect } from './state.ts';
import { printedOn } from '../../model/rule-said.ts';
import type { Ctx, Leaf, State } from './state.ts';

/** The table and chain of the step that decided, for the typed reason. */
export function place(o: NfOutcome): { at?: NetfilterPlace } {
  const last = o.steps.at(-1);
  if (last === undefined) return {};
  const at: NetfilterPlace = {
    backend: last.backend,
    table: last.table,
    chain: last.chain,
    line: last.raw,
    policy: last.rule === null,
  };
  if (last.family !== undefined) at.family = last.family;
  if (last.rule !== null && 'handle' in last.rule && last.rule.handle !== undefined) at.handle = last.rule.handle;
  return { at };
}

const BACKEND_NAMES: Readonly<Record<NetfilterPlace['backend'], string>> = {
  nft: 'iptables-nft',
  legacy: 'iptables-legacy',
  nftables: 'nftables',
};

/** The line a rule is quoted by: iptables-save's line, or our `nft -a list` rendering. */
function ruleLine(h: HostNet, r: NfRule): string {
  return 'text' in r ? r.text : printedOn(h.state.iptables, r);
}

/** " in <backend> <table>/<chain>" of the step that decided, so a fix can name the right table. */
function where(o: NfOutcome): string {
  const at = place(o).at;
  return at === undefined
    ? ''
    : ` in ${BACKEND_NAMES[at.backend]} ${at.family === undefined ? '' : `${at.family} `}${at.table}/${at.chain}`;
}

export function runHook(
  ctx: Ctx,
  st: State,
  h: HostNet,
  hook: Hook,
  p: Packet,
  io: { inIface?: string; outIface?: string; nextHop?: Ipv4; physdev?: PhysdevView },
  next: (st: State, p: Packet, o: NfOutcome) => Leaf[],
): Leaf[] {
  const nfGap = gapOn(h, NEEDS.netfilter);
  if (nfGap !== undefined)
    return [unknownWithout(st, nfGap, hook.toLowerCase() as HopStep, `what ${hook} does`, io.inIface ?? io.outIface)];
  const ct = st.ctView ?? newView(p);
  const outcomes = ctx.opt.evaluate(h.state.iptables, { hook, packet: p, ct, ...io }, netfilterEnv(h), h.state.nft);
  const step = hook.toLowerCase() as HopStep;
  const dev = io.inIface ?? io.outIface;
  return outcomes.flatMap((o) => {
    const evidence = o.steps.map((s) => s.raw);
    const st2: State = { ...st, ctView: o.ct, branch: [...st.branch, ...o.branch] };
    switch (o.verdict) {
      case 'drop':
        return [
          die(
            st2,
            h.name,
            step,
            'dropped',
            { kind: 'netfilter-drop', ...place(o) },
            `${hook}: dropped (${o.steps.at(-1)?.action ?? 'DROP'})${where(o)}`,
            evidence,
            dev,
          ),
        ];
      case 'reject':
        return [
          die(
            st2,
            h.name,
            step,
            'rejected',
            { kind: 'netfilter-reject', ...place(o) },
            `${hook}: rejected (${o.rejectWith ?? 'icmp-port-unreachable'})${where(o)}`,
            evidence,
            dev,
          ),
        ];
      case 'unknown': {
        // A set match the rule could not decide, on a host whose sets were not collected: that is why.
        const rule = o.unknown?.rule;
        const setGap =
          rule !== undefined && 'matches' in rule && rule.matches.some((m) => m.module === 'set')
            ? gapOn(h, NEEDS.ipsets)
            : undefined;
        if (setGap !== undefined)
          return [unknownWithout(st2, setGap, step, `whether "${ruleLine(h, rule!)}" matches`, dev)];
        return [
          die(
            st2,
            h.name,
            step,
            'unknown',
            { kind: 'not-modelled' },
            `${hook}: cannot evaluate: ${o.unknown?.reason ?? 'unknown rule'}`,
            o.unknown !== undefined ? [...evidence, ruleLine(h, o.unknown.rule)] : evidence,
            dev,
          ),
        ];
      }
      case 'accept': {
        const changed = o.nat !== undefined ? `; ${o.nat.step.action}` : '';
        // Only rules that matched are evidence; a chain policy that accepted says nothing.
        const matched = o.steps.filter((x) => x.rule !== null).map((x) => x.raw);
        const st3 =
          matched.length > 0 || o.nat !== undefined
            ? hop(st2, h.name, step, `${hook}: accepted${changed} → ${describePacket(o.packet)}`, matched, dev)
            : st2;
        const st4 = o.nat !== undefined ? withEffect(st3, { kind: 'rewritten', what: o.nat.step.action }) : st3;
        return next(st4, o.packet, o);
      }
    }
  });
}
