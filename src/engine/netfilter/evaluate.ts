// evaluateHook: what the iptables tables of one hook do to a packet.
//
// Tables run in priority order (hooks.ts). When both iptables-nft and iptables-legacy hold
// rules, both register their tables at the same priorities, so the packet passes both: we run
// nft's table, then legacy's, at each priority. A drop in either drops.
//
// The nat table is special (net/netfilter/nf_nat_core.c nf_nat_inet_fn): its chains are only
// consulted while the connection has no NAT binding for that direction — for the first packet
// of a connection (ct NEW). Replies and later packets are translated by conntrack from the
// binding, never by rules; untracked packets are never translated. And when several nat tables
// hook in (one per backend), the kernel stops at the first one that creates a binding, in hook
// registration order, which a snapshot cannot show: if the two would decide differently, the
// outcome is unknown.
import type { IptRule, IptRuleset } from '../../model/types.ts';
import { compileRuleset } from './compile.ts';
import type { CompiledRuleset } from './compiled.ts';
import { HOOK_TABLES, natManip, type TableName } from './hooks.ts';
import type { ConntrackView, EvaluateHook, Hook, HookInput, NetfilterEnv, NfOutcome } from './types.ts';
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

function copyState(s: WalkState): WalkState {
  return { ...s, steps: [...s.steps], branch: [...s.branch] };
}

/** Tables of the same priority that all run: each backend's table in turn. */
function runInTurn(runs: readonly TableRun[], start: WalkState): TableEnd[] {
  let live: WalkState[] = [start];
  const ended: TableEnd[] = [];
  for (const run of runs) {
    const next: WalkState[] = [];
    for (const s of live) {
      for (const e of runTable(run, s)) {
        if (e.verdict === 'accept') next.push(e.state);
        else ended.push(e);
      }
    }
    live = next;
  }
  return [...ended, ...live.map((state): TableEnd => ({ verdict: 'accept', state, translated: false }))];
}

const marksChanged = (a: WalkState, b: WalkState): boolean =>
  a.packet.mark !== b.packet.mark || a.packet.connmark !== b.packet.connmark;

function natRuleOf(e: TableEnd): IptRule | undefined {
  if (e.verdict === 'unknown') return e.rule;
  if (e.verdict === 'accept' && e.state.nat !== undefined) return e.state.nat.step.rule ?? undefined;
  for (let i = e.state.steps.length - 1; i >= 0; i--) {
    const r = e.state.steps[i]?.rule;
    if (r) return r;
  }
  return undefined;
}

/**
 * The two nat tables would decide differently depending on which registered first. The outcome
 * keeps the packet as it was before the nat tables (no translation is certain) and the steps of
 * the first table as evidence.
 */
function ambiguous(
  start: WalkState,
  kept: TableEnd,
  other: TableEnd,
  otherRun: TableRun,
  firstRun: TableRun,
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
    `both iptables-${firstRun.backend} and iptables-${otherRun.backend} have nat ${firstRun.input.hook} rules for this connection: ` +
    `${firstRun.backend} ${kept.state.nat !== undefined ? 'translates it with' : 'changes its marks with'} "${mine?.raw ?? '(policy)'}", ` +
    `${otherRun.backend} ${what} "${theirs?.raw ?? '(policy)'}"; the kernel runs whichever nat table registered its hook first and stops at the first binding (nf_nat_inet_fn), which the snapshot cannot show`;
  const rule = theirs ?? mine;
  if (rule === undefined) return other;
  const state: WalkState = { ...kept.state, packet: start.packet, ct: start.ct };
  if (start.nat === undefined) delete state.nat;
  else state.nat = start.nat;
  return { verdict: 'unknown', state, rule, reason };
}

/**
 * Several nat tables at one priority. In nft-then-legacy order: a table that accepts without a
 * binding hands the packet to the next; a table that creates a binding ends NAT for this hook.
 * The result only stands if the other registration order gives the same answer.
 */
function runNatTables(runs: readonly TableRun[], start: WalkState): TableEnd[] {
  const [first, ...rest] = runs;
  if (first === undefined) return [];
  let results = runTable(first, start);
  let prev = first;
  for (const run of rest) {
    const next: TableEnd[] = [];
    for (const e of results) {
      if (e.verdict !== 'accept') {
        next.push(e);
        continue;
      }
      if (!e.translated) {
        for (const e2 of runTable(run, e.state)) {
          // Had `run` registered first, its binding would have stopped `prev`'s mark changes.
          next.push(
            e2.verdict === 'accept' && e2.translated && marksChanged(start, e.state)
              ? ambiguous(start, e, e2, run, prev)
              : e2,
          );
        }
        continue;
      }
      // `prev` created a binding, so `run` does not get to run — unless it registered first.
      const probe = runTable(run, copyState(start));
      const conflict = probe.find((p) => p.verdict !== 'accept' || p.translated || marksChanged(start, p.state));
      next.push(conflict === undefined ? e : ambiguous(start, e, conflict, run, prev));
    }
    results = next;
    prev = run;
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

export const evaluateHook: EvaluateHook = (rulesets, input, env) => {
  const compiled = [...rulesets]
    .sort((a, b) => BACKEND_ORDER[a.backend] - BACKEND_ORDER[b.backend])
    .map(compileRuleset);
  const budget: Budget = { remaining: OUTCOME_CAP - 1, cap: OUTCOME_CAP };
  let live: WalkState[] = [{ packet: input.packet, ct: input.ct, steps: [], branch: [] }];
  const done: NfOutcome[] = [];
  for (const slot of HOOK_TABLES[input.hook]) {
    const runs = compiled
      .map((c) => tableRun(c, slot.table, input, env, budget))
      .filter((r): r is TableRun => r !== undefined);
    if (runs.length === 0) continue;
    const next: WalkState[] = [];
    for (const s of live) {
      if (slot.table === 'nat' && !natApplies(s.ct, input.hook)) {
        next.push(s);
        continue;
      }
      const ends = slot.table === 'nat' && runs.length > 1 ? runNatTables(runs, s) : runInTurn(runs, s);
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
