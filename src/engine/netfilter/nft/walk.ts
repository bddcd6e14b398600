// Walks one native base chain for a hook, as nft_do_chain() does (net/netfilter/nf_tables_core.c):
// rules in order, statements of a rule in order, a failed match breaks to the next rule; jump
// pushes the return position, goto does not; return (or the end of a regular chain) pops, and at
// the base chain the policy applies. accept ends this base chain only; drop and reject end the
// packet. `numgen` forks the walk, one branch per value.
import type { NftRule } from '../../../model/types.ts';
import { cloneJob, enterChain, runJobs } from '../jobs.ts';
import type { Frame as JobFrame, Job as JobOf } from '../jobs.ts';
import { applyNat, takeNat } from '../nat.ts';
import type { HookInput, NetfilterEnv, NfStep } from '../types.ts';
import type { Budget, TableEnd, WalkState } from '../walk.ts';
import type { CompiledNftChain, CompiledNftRule, CompiledNftTable, NftCtx, NftVerdict, Stmt } from './types.ts';
import { isUnknown } from './types.ts';
import { chainHeader } from './hooks.ts';

export interface NftChainRun {
  table: CompiledNftTable;
  base: CompiledNftChain;
  /** The base chain's priority: `notrack` only works before conntrack (-200). */
  priority: number;
  input: HookInput;
  env: NetfilterEnv;
  budget: Budget;
}

type Frame = JobFrame<CompiledNftChain>;

interface Job extends JobOf<CompiledNftChain> {
  /** The value numgen drew for the rule at `numgenRule` on this branch (a clone draws its own). */
  numgen?: { rule: CompiledNftRule; value: number };
}

const NF_IP_PRI_CONNTRACK = -200;

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export function runNftChain(run: NftChainRun, start: WalkState): TableEnd[] {
  return runJobs<CompiledNftChain, Job>(run.base, start, (job, jobs) => advance(run, job, jobs));
}

function step(run: NftChainRun, chain: string, rule: NftRule | null, action: string, raw: string): NfStep {
  const t = run.table.table;
  return { backend: 'nftables', family: t.family, table: t.name, chain, rule, action, raw };
}

function policyEnd(run: NftChainRun, job: Job): TableEnd {
  const policy = run.base.chain.policy ?? 'accept';
  job.state.steps.push(step(run, run.base.chain.name, null, `policy ${policy}`, chainHeader(run.base.chain)));
  return policy === 'drop'
    ? { verdict: 'drop', state: job.state }
    : { verdict: 'accept', state: job.state, translated: false };
}

function ctxFor(run: NftChainRun, job: Job): NftCtx {
  const { input, env } = run;
  return {
    hook: input.hook,
    packet: job.state.packet,
    ct: job.state.ct,
    inIface: input.inIface ?? '',
    outIface: input.outIface ?? '',
    physdev: input.physdev,
    env,
    numgen: undefined,
    assume: (condition) => {
      if (!job.state.branch.includes(condition)) job.state.branch.push(condition);
    },
  };
}

/** Forks the job once per numgen value (all but the first pushed as new jobs); false when over budget. */
function forkNumgen(run: NftChainRun, job: Job, cr: CompiledNftRule, jobs: Job[]): boolean {
  const g = cr.numgen;
  if (g === undefined || job.numgen?.rule === cr) return true;
  if (run.budget.remaining < g.mod - 1) return false;
  run.budget.remaining -= g.mod - 1;
  const where = `${run.table.table.name} ${cr.rule.chain} handle ${cr.rule.handle ?? '?'}`;
  const p = (1 / g.mod).toFixed(4);
  for (let k = g.mod - 1; k >= 0; k--) {
    const j: Job = k === 0 ? job : cloneJob(job);
    j.numgen = { rule: cr, value: g.offset + k };
    j.state.branch.push(`${g.text} = ${g.offset + k} in ${where} (p=${p})`);
    if (k !== 0) {
      // The clone re-runs this rule with its own value.
      const top = j.frames[j.frames.length - 1] as Frame;
      top.pos--;
      jobs.push(j);
    }
  }
  return true;
}

type RuleEnd = { kind: 'next' } | { kind: 'verdict'; v: NftVerdict } | { kind: 'end'; end: TableEnd };

function advance(run: NftChainRun, job: Job, jobs: Job[]): TableEnd {
  const ctx = ctxFor(run, job);
  for (;;) {
    const top = job.frames[job.frames.length - 1] as Frame;
    if (top.pos >= top.chain.rules.length) {
      if (job.frames.length === 1) return policyEnd(run, job);
      job.frames.pop();
      continue;
    }
    const cr = top.chain.rules[top.pos++] as CompiledNftRule;
    if (!forkNumgen(run, job, cr, jobs)) {
      const reason = `more than ${run.budget.cap} load-balancing branches; not all were explored`;
      job.state.steps.push(step(run, cr.rule.chain, cr.rule, reason, cr.rule.text));
      return { verdict: 'unknown', state: job.state, rule: cr.rule, reason };
    }
    ctx.packet = job.state.packet;
    ctx.ct = job.state.ct;
    ctx.numgen = job.numgen?.rule === cr ? job.numgen.value : undefined;
    const r = runRule(run, job, cr, ctx);
    ctx.numgen = undefined;
    if (r.kind === 'next') continue;
    if (r.kind === 'end') return r.end;
    const end = applyVerdict(run, job, cr, r.v);
    if (end !== undefined) return end;
  }
}

function applyVerdict(run: NftChainRun, job: Job, cr: CompiledNftRule, v: NftVerdict): TableEnd | undefined {
  const s = job.state;
  const record = (action: string): void => {
    s.steps.push(step(run, cr.rule.chain, cr.rule, action, cr.rule.text));
  };
  switch (v.kind) {
    case 'accept':
      record('accept');
      return { verdict: 'accept', state: s, translated: false };
    case 'drop':
      record('drop');
      return { verdict: 'drop', state: s };
    case 'continue':
      return undefined;
    case 'return':
      record('return');
      if (job.frames.length === 1) return policyEnd(run, job);
      job.frames.pop();
      return undefined;
    case 'jump':
    case 'goto': {
      const reason = enterChain(job, run.table.chain(v.chain), v.chain, v.kind === 'goto', run.table.table.name);
      record(reason ?? `${v.kind} ${v.chain}`);
      return reason === undefined ? undefined : { verdict: 'unknown', state: s, rule: cr.rule, reason };
    }
  }
}

const tracked = (state: string): boolean => state !== 'UNTRACKED' && state !== 'INVALID';

/** Does anything after statement `i` change what the walk follows? */
function effectAfter(stmts: readonly Stmt[], i: number): boolean {
  return stmts.slice(i + 1).some((s) => s.k !== 'match' && s.k !== 'inert');
}

/** An undecidable statement at `i`: a later match that fails settles it; otherwise the rule is unknown. */
function settleUnknown(
  run: NftChainRun,
  job: Job,
  cr: CompiledNftRule,
  ctx: NftCtx,
  i: number,
  reason: string,
): RuleEnd {
  for (const s of cr.stmts.slice(i + 1)) {
    if (s.k !== 'match') break;
    if (s.test(ctx) === false) return { kind: 'next' };
  }
  if (!effectAfter(cr.stmts, i)) return { kind: 'next' };
  job.state.steps.push(step(run, cr.rule.chain, cr.rule, `cannot evaluate: ${reason}`, cr.rule.text));
  return { kind: 'end', end: { verdict: 'unknown', state: job.state, rule: cr.rule, reason } };
}

/** Runs a rule's statements; its last verdict, or 'next' when a match failed or none was given. */
function runRule(run: NftChainRun, job: Job, cr: CompiledNftRule, ctx: NftCtx): RuleEnd {
  const s = job.state;
  const actions: string[] = [];
  const record = (): void => {
    if (actions.length > 0) s.steps.push(step(run, cr.rule.chain, cr.rule, actions.join('; '), cr.rule.text));
  };
  for (let i = 0; i < cr.stmts.length; i++) {
    const st = cr.stmts[i] as Stmt;
    switch (st.k) {
      case 'match': {
        const r = st.test(ctx);
        if (r === false) return { kind: 'next' };
        if (r !== true) return settleUnknown(run, job, cr, ctx, i, r.unknown);
        break;
      }
      case 'inert':
        if (st.assume !== undefined) ctx.assume(st.assume);
        actions.push(st.note);
        break;
      case 'verdict':
        record();
        return { kind: 'verdict', v: st.v };
      case 'vmap': {
        const k = st.key.eval(ctx);
        if (isUnknown(k)) return settleUnknown(run, job, cr, ctx, i, k.unknown);
        const found = st.map.find(k);
        if (found === undefined) return { kind: 'next' };
        if (isUnknown(found)) return settleUnknown(run, job, cr, ctx, i, found.unknown);
        if (st.map.note !== undefined) ctx.assume(st.map.note);
        const v = st.map.data(found) as NftVerdict;
        record();
        return { kind: 'verdict', v };
      }
      case 'reject':
        actions.push(`reject with ${st.with}`);
        record();
        return { kind: 'end', end: { verdict: 'reject', state: s, rejectWith: st.with } };
      case 'mark': {
        const v = st.value.eval(ctx);
        if (typeof v !== 'number') return settleUnknown(run, job, cr, ctx, i, isUnknown(v) ? v.unknown : 'mark value');
        if (st.target === 'meta') {
          actions.push(`meta mark ${hex(s.packet.mark)} → ${hex(v)}`);
          s.packet = { ...s.packet, mark: v };
        } else if (!tracked(s.ct.state))
          actions.push(`ct mark set: no conntrack entry (${s.ct.state}), nothing changed`);
        else {
          actions.push(`ct mark ${hex(s.packet.connmark)} → ${hex(v)}`);
          s.packet = { ...s.packet, connmark: v };
        }
        ctx.packet = s.packet;
        break;
      }
      case 'notrack':
        // nft_notrack_eval: a packet conntrack already saw keeps its entry.
        if (run.priority < NF_IP_PRI_CONNTRACK) {
          actions.push('notrack: conntrack will not track this packet (UNTRACKED)');
          s.ct = { ...s.ct, state: 'UNTRACKED', dnat: false, snat: false };
          ctx.ct = s.ct;
        } else actions.push(`notrack at priority ${run.priority}, after conntrack: no effect`);
        break;
      case 'nat': {
        const range = st.range(ctx);
        if (range === undefined) return { kind: 'next' };
        if (isUnknown(range)) return settleUnknown(run, job, cr, ctx, i, range.unknown);
        const r = applyNat({ kind: 'nat', nat: st.nat, range, randomFully: st.randomFully }, run, s.packet);
        if (!r.ok) {
          actions.push(r.reason);
          record();
          return {
            kind: 'end',
            end:
              r.verdict === 'drop'
                ? { verdict: 'drop', state: s }
                : { verdict: 'unknown', state: s, rule: cr.rule, reason: r.reason },
          };
        }
        actions.push(r.action);
        record();
        takeNat(s, r);
        // nft_nat_eval sets the verdict from nf_nat_setup_info: NF_ACCEPT ends the chain.
        return { kind: 'end', end: { verdict: 'accept', state: s, translated: true } };
      }
      case 'unknown':
        record();
        s.steps.push(step(run, cr.rule.chain, cr.rule, `cannot evaluate: ${st.reason}`, cr.rule.text));
        return { kind: 'end', end: { verdict: 'unknown', state: s, rule: cr.rule, reason: st.reason } };
    }
  }
  if (actions.length > 0) record();
  return { kind: 'next' };
}
