// evaluateHook: what the iptables tables and native nftables base chains of one hook do to a packet.
//
// Tables and base chains run in priority order (hooks.ts, nft/hooks.ts). When both iptables-nft
// and iptables-legacy hold rules, both register their tables at the same priorities, so the
// packet passes both: we run nft's table, then legacy's, at each priority. Native base chains
// join at their own priorities. A drop anywhere drops; an accept ends only that table or chain.
//
// The nat table is special (net/netfilter/nf_nat_core.c nf_nat_inet_fn): its chains are only
// consulted while the connection has no NAT binding for that direction — for the first packet
// of a connection (ct NEW). Replies and later packets are translated by conntrack from the
// binding, never by rules; untracked packets are never translated. All nat tables and `type nat`
// chains of a hook run inside the NAT core at its fixed priority (nf_nat_register_fn), ordered
// among themselves by their own priorities, and the kernel stops at the first one that creates a
// binding. Equal priorities run in registration order, which a snapshot cannot show: if the two
// would decide differently, the outcome is unknown.
import type { IptRuleset, NftChain, NftRuleset } from '../../model/types.ts';
import { compileRuleset } from './compile.ts';
import type { CompiledRuleset } from './compiled.ts';
import { HOOK_TABLES, NF_IP_PRI_NAT_DST, NF_IP_PRI_NAT_SRC, natManip, type TableName } from './hooks.ts';
import { compileNftTable } from './nft/compile.ts';
import { blindChainFor, chainAsRule, chainHeader, nativeChainsOn } from './nft/hooks.ts';
import { type NftChainRun, runNftChain } from './nft/walk.ts';
import type { ConntrackView, EvaluateHook, Hook, HookInput, NetfilterEnv, NfOutcome, NfRule } from './types.ts';
import { runTable, type Budget, type TableEnd, type TableRun, type WalkState } from './walk.ts';

/** At most this many outcomes (statistic branches) per hook; beyond it the rest is reported unknown. */
export const OUTCOME_CAP = 512;

function natApplies(ct: ConntrackView, hook: Hook): boolean {
  if (ct.state !== 'NEW') return false;
  // nf_nat_initialized(ct, maniptype): a binding for this direction already exists.
  return natManip(hook) === 'dst' ? !ct.dnat : !ct.snat;
}

function tableRun(
  cr: CompiledRuleset,
  table: TableName,
  input: HookInput,
  env: NetfilterEnv,
  budget: Budget,
): TableRun | undefined {
  const t = cr.table(table);
  // iptables-nft creates built-in chains only when used: a missing chain does not hook in.
  const builtin = t?.chain(input.hook);
  if (t === undefined || builtin === undefined) return undefined;
  return { backend: cr.ruleset.backend, table: t, builtin, input, env, budget };
}

/** One table or base chain registered on the hook. */
interface Unit {
  priority: number;
  /** A nat table or `type nat` chain: runs inside the NAT core (nf_nat_inet_fn), first packet only. */
  nat: boolean;
  /** "iptables-nft", "iptables-legacy", "nftables ip kube-proxy nat-prerouting". */
  name: string;
  run(s: WalkState): TableEnd[];
}

function copyState(s: WalkState): WalkState {
  return { ...s, steps: [...s.steps], branch: [...s.branch] };
}

const marksChanged = (a: WalkState, b: WalkState): boolean =>
  a.packet.mark !== b.packet.mark || a.packet.connmark !== b.packet.connmark;

function natRuleOf(e: TableEnd): NfRule | undefined {
  if (e.verdict === 'unknown') return e.rule;
  if (e.verdict === 'accept' && e.state.nat !== undefined) return e.state.nat.step.rule ?? undefined;
  for (let i = e.state.steps.length - 1; i >= 0; i--) {
    const r = e.state.steps[i]?.rule;
    if (r) return r;
  }
  return undefined;
}

/** How `e`'s walk quoted rule `r` (a step's line carries the host's counters), or the rule's own line. */
function ruleText(e: TableEnd, r: NfRule | undefined): string {
  if (r === undefined) return '(policy)';
  for (let i = e.state.steps.length - 1; i >= 0; i--) if (e.state.steps[i]!.rule === r) return e.state.steps[i]!.raw;
  return 'text' in r ? r.text : r.raw;
}

/**
 * Two nat units of the same priority would decide differently depending on which registered
 * first. The outcome keeps the packet as it was before NAT (no translation is certain) and the
 * steps of the first unit as evidence.
 */
function ambiguous(
  hook: Hook,
  start: WalkState,
  kept: TableEnd,
  other: TableEnd,
  otherU: Unit,
  firstU: Unit,
): TableEnd {
  const mine = natRuleOf(kept);
  const theirs = natRuleOf(other);
  const what =
    other.verdict === 'accept'
      ? other.translated
        ? 'would translate it with'
        : 'would change its marks with'
      : other.verdict === 'unknown'
        ? 'cannot be evaluated at'
        : `would ${other.verdict} it at`;
  const reason =
    `both ${firstU.name} and ${otherU.name} have nat ${hook} rules for this connection at priority ${firstU.priority}: ` +
    `${firstU.name} ${kept.state.nat !== undefined ? 'translates it with' : 'changes its marks with'} "${ruleText(kept, mine)}", ` +
    `${otherU.name} ${what} "${ruleText(other, theirs)}"; the kernel runs whichever registered its hook first and stops at the first binding (nf_nat_inet_fn), which the snapshot cannot show`;
  const rule = theirs ?? mine;
  if (rule === undefined) return other;
  const state: WalkState = { ...kept.state, packet: start.packet, ct: start.ct };
  if (start.nat === undefined) delete state.nat;
  else state.nat = start.nat;
  return { verdict: 'unknown', state, rule, reason };
}

/**
 * The NAT core (nf_nat_inet_fn): every nat unit of the hook in priority order, stopping at the
 * first that creates a binding. Units of equal priority run in registration order, which the
 * snapshot cannot show: the result only stands if the other order gives the same answer.
 */
function runNat(hook: Hook, units: readonly Unit[], start: WalkState): TableEnd[] {
  const [first, ...rest] = units;
  if (first === undefined) return [{ verdict: 'accept', state: start, translated: false }];
  let results = first.run(start);
  let prev = first;
  for (const u of rest) {
    const tie = u.priority === prev.priority;
    const next: TableEnd[] = [];
    for (const e of results) {
      if (e.verdict !== 'accept') {
        next.push(e);
        continue;
      }
      if (!e.translated) {
        for (const e2 of u.run(e.state)) {
          // Had `u` registered first, its binding would have stopped `prev`'s mark changes.
          next.push(
            tie && e2.verdict === 'accept' && e2.translated && marksChanged(start, e.state)
              ? ambiguous(hook, start, e, e2, u, prev)
              : e2,
          );
        }
        continue;
      }
      // A binding exists: `u` does not run — unless it registered first at the same priority.
      if (!tie) {
        next.push(e);
        continue;
      }
      const probe = u.run(copyState(start));
      const conflict = probe.find((p) => p.verdict !== 'accept' || p.translated || marksChanged(start, p.state));
      next.push(conflict === undefined ? e : ambiguous(hook, start, e, conflict, u, prev));
    }
    results = next;
    prev = u;
  }
  return results;
}

function outcome(e: TableEnd): NfOutcome {
  const s = e.state;
  const base: NfOutcome = { verdict: e.verdict, packet: s.packet, ct: s.ct, steps: s.steps, branch: s.branch };
  if (s.nat !== undefined) base.nat = s.nat;
  if (e.verdict === 'reject') base.rejectWith = e.rejectWith;
  if (e.verdict === 'unknown') base.unknown = { rule: e.rule, reason: e.reason };
  return base;
}

const BACKEND_ORDER: Readonly<Record<IptRuleset['backend'], number>> = { nft: 0, legacy: 1 };

/** The iptables tables and native base chains of the hook, in priority order (iptables first on a tie). */
function unitsOf(
  rulesets: readonly IptRuleset[],
  nft: NftRuleset | undefined,
  input: HookInput,
  env: NetfilterEnv,
  budget: Budget,
): Unit[] {
  const units: Unit[] = [];
  const compiled = [...rulesets]
    .sort((a, b) => BACKEND_ORDER[a.backend] - BACKEND_ORDER[b.backend])
    .map(compileRuleset);
  for (const slot of HOOK_TABLES[input.hook]) {
    for (const c of compiled) {
      const tr = tableRun(c, slot.table, input, env, budget);
      if (tr !== undefined)
        units.push({
          priority: slot.priority,
          nat: slot.table === 'nat',
          name: `iptables-${tr.backend}`,
          run: (s) => runTable(tr, s),
        });
    }
  }
  for (const b of nft === undefined ? [] : nativeChainsOn(nft, input.hook)) {
    const table = compileNftTable(b.table);
    const base = table.chain(b.chain.name);
    if (base === undefined) continue;
    const run: NftChainRun = { table, base, priority: b.priority, input, env, budget };
    units.push({
      priority: b.priority,
      nat: b.nat,
      name: `nftables ${b.table.family} ${b.table.name} ${b.chain.name}`,
      run: (s) => runNftChain(run, s),
    });
  }
  // Stable: at equal priority iptables' tables stay ahead, in the order their hooks usually register.
  return units.sort((a, b) => a.priority - b.priority);
}

/** Hook stages: every filter-like unit at its priority, all nat units together at the NAT core's. */
type Stage = { nat: false; unit: Unit } | { nat: true; units: Unit[] };

function stagesOf(hook: Hook, units: readonly Unit[]): Stage[] {
  const nat = units.filter((u) => u.nat);
  const corePriority = natManip(hook) === 'dst' ? NF_IP_PRI_NAT_DST : NF_IP_PRI_NAT_SRC;
  const stages: Stage[] = [];
  let natPlaced = nat.length === 0;
  for (const u of units) {
    if (u.nat) continue;
    if (!natPlaced && u.priority > corePriority) {
      stages.push({ nat: true, units: nat });
      natPlaced = true;
    }
    stages.push({ nat: false, unit: u });
  }
  if (!natPlaced) stages.push({ nat: true, units: nat });
  return stages;
}

export const evaluateHook: EvaluateHook = (rulesets, input, env, nft) => {
  if (nft !== undefined) {
    const blind = blindChainFor(nft, input);
    if (blind !== undefined) return [blindOutcome(input, blind)];
  }
  const budget: Budget = { remaining: OUTCOME_CAP - 1, cap: OUTCOME_CAP };
  let live: WalkState[] = [{ packet: input.packet, ct: input.ct, steps: [], branch: [] }];
  const done: NfOutcome[] = [];
  for (const stage of stagesOf(input.hook, unitsOf(rulesets, nft, input, env, budget))) {
    const next: WalkState[] = [];
    for (const s of live) {
      if (stage.nat && !natApplies(s.ct, input.hook)) {
        next.push(s);
        continue;
      }
      const ends = stage.nat ? runNat(input.hook, stage.units, s) : stage.unit.run(s);
      for (const e of ends) {
        if (e.verdict === 'accept') next.push(e.state);
        else done.push(outcome(e));
      }
    }
    live = next;
  }
  for (const state of live) done.push(outcome({ verdict: 'accept', state, translated: false }));
  return done;
};

/** A bridge or ingress chain could see the packet before (or instead of) the hooks we walk. */
function blindOutcome(input: HookInput, c: NftChain): NfOutcome {
  const rule = chainAsRule(c);
  const reason = `native nftables ${c.family} chain ${c.table}/${c.name} (hook ${c.hook ?? '?'}) sees this packet and is not walked`;
  return {
    verdict: 'unknown',
    packet: input.packet,
    ct: input.ct,
    steps: [
      {
        backend: 'nftables',
        family: c.family,
        table: c.table,
        chain: c.name,
        rule,
        action: `cannot evaluate: ${reason}`,
        raw: chainHeader(c),
      },
    ],
    unknown: { rule, reason },
    branch: [],
  };
}
