// Walks one table's built-in chain for a hook, as ipt_do_table() does
// (net/ipv4/netfilter/ip_tables.c): rules in order; a jump pushes the return position, a goto
// does not; RETURN (or the end of a user chain) pops, and with nothing to pop the built-in
// chain's policy applies (the "underflow" rule). ACCEPT ends this table only; DROP and REJECT end
// the packet. `-m statistic` forks the walk; every branch runs to its own end.
import type { IptablesBackend, IptRule } from '../../model/types.ts';
import type { CompiledChain, CompiledRule, CompiledTable, CompiledTarget, Fork, MarkOp, MatchCtx } from './compiled.ts';
import { cloneJob, enterChain, runJobs } from './jobs.ts';
import type { Frame as JobFrame, Job as JobOf } from './jobs.ts';
import { applyNat, takeNat } from './nat.ts';
import type { ConntrackView, HookInput, NatDecision, NetfilterEnv, NfRule, NfStep } from './types.ts';
import type { Packet } from '../packet.ts';

/** The walk's state between rules and between tables. */
export interface WalkState {
  packet: Packet;
  ct: ConntrackView;
  steps: NfStep[];
  branch: string[];
  nat?: NatDecision;
}

export type TableEnd =
  | { verdict: 'accept'; state: WalkState; translated: boolean }
  | { verdict: 'drop'; state: WalkState }
  | { verdict: 'reject'; state: WalkState; rejectWith: string }
  | { verdict: 'unknown'; state: WalkState; rule: NfRule; reason: string };

/** Shared across one evaluateHook call: caps how many branches statistic may open. */
export interface Budget {
  /** Branches still allowed. */
  remaining: number;
  /** The first rule whose fork was refused, for the report. */
  capped?: IptRule;
  cap: number;
}

export interface TableRun {
  backend: IptablesBackend;
  table: CompiledTable;
  /** The built-in chain of the hook. */
  builtin: CompiledChain;
  input: HookInput;
  env: NetfilterEnv;
  budget: Budget;
}

type Frame = JobFrame<CompiledChain>;
type Job = JobOf<CompiledChain>;

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const applyMark = (old: number, op: MarkOp): number => ((old & ~op.mask) ^ op.xor) >>> 0;

/** Targets after which the walk simply goes on, so an undecidable match in front of them does not matter. */
function isHarmless(t: CompiledTarget): boolean {
  return t.kind === 'inert' || t.kind === 'none';
}

function hasConntrackEntry(ct: ConntrackView): boolean {
  return ct.state !== 'UNTRACKED' && ct.state !== 'INVALID';
}

export type RuleEval =
  | { kind: 'no' }
  | { kind: 'yes' }
  | { kind: 'unknown'; reason: string }
  | { kind: 'fork'; forks: Fork[] };

/** Do the matches of a rule hold for this packet? Exported for tests of single rules. */
export function evalRule(cr: CompiledRule, ctx: MatchCtx): RuleEval {
  if (cr.never) return { kind: 'no' };
  let runtimeUnknown: string | undefined;
  for (const pred of cr.preds) {
    const r = pred(ctx);
    if (r === false) return { kind: 'no' };
    if (r !== true) runtimeUnknown ??= r.unknown;
  }
  const reason = cr.unknowns[0] ?? runtimeUnknown;
  if (reason !== undefined) return isHarmless(cr.target) ? { kind: 'no' } : { kind: 'unknown', reason };
  return cr.forks.length > 0 ? { kind: 'fork', forks: cr.forks } : { kind: 'yes' };
}

export function runTable(run: TableRun, start: WalkState): TableEnd[] {
  return runJobs<CompiledChain, Job>(run.builtin, start, (job, jobs) => advance(run, job, jobs));
}

function step(run: TableRun, chain: string, rule: IptRule | null, action: string, raw: string): NfStep {
  return { backend: run.backend, table: run.table.table.name, chain, rule, action, raw };
}

function policyEnd(run: TableRun, job: Job): TableEnd {
  const c = run.builtin.chain;
  const policy = c.policy ?? 'ACCEPT';
  job.state.steps.push(step(run, c.name, null, `policy ${policy}`, c.raw));
  if (policy === 'DROP') return { verdict: 'drop', state: job.state };
  return { verdict: 'accept', state: job.state, translated: false };
}

/** Runs one job until its table verdict; forks push new jobs. */
function advance(run: TableRun, job: Job, jobs: Job[]): TableEnd {
  const { input, env } = run;
  const ctx: MatchCtx = {
    hook: input.hook,
    packet: job.state.packet,
    ct: job.state.ct,
    inIface: input.inIface ?? '',
    outIface: input.outIface ?? '',
    physdev: input.physdev,
    env,
    assume: (condition) => {
      if (!job.state.branch.includes(condition)) job.state.branch.push(condition);
    },
  };
  for (;;) {
    const top = job.frames[job.frames.length - 1] as Frame;
    if (top.pos >= top.chain.rules.length) {
      // End of a chain: an implicit RETURN (a built-in chain ends in its policy).
      if (job.frames.length === 1) return policyEnd(run, job);
      job.frames.pop();
      continue;
    }
    const dstRun = top.chain.dstRunAt?.[top.pos];
    if (dstRun !== undefined) {
      // Inside a run of exact-destination rules: go straight to the next one for this destination.
      let next = dstRun.end;
      for (const i of dstRun.byDst.get(job.state.packet.dst) ?? []) {
        if (i >= top.pos) {
          next = i;
          break;
        }
      }
      if (next !== top.pos) {
        top.pos = next;
        continue;
      }
    }
    const cr = top.chain.rules[top.pos++] as CompiledRule;
    ctx.packet = job.state.packet;
    ctx.ct = job.state.ct;
    const ev = evalRule(cr, ctx);
    // A match may have updated the view (xt_recent --set), whether or not the rule matched.
    job.state.ct = ctx.ct;
    if (ev.kind === 'no') continue;
    const chainName = top.chain.chain.name;
    if (ev.kind === 'unknown') {
      job.state.steps.push(step(run, chainName, cr.rule, `cannot evaluate: ${ev.reason}`, run.table.printed(cr.rule)));
      return { verdict: 'unknown', state: job.state, rule: cr.rule, reason: ev.reason };
    }
    if (ev.kind === 'fork') {
      const p = ev.forks.reduce((acc, f) => acc * f.probability, 1);
      const what = `${ev.forks.map((f) => f.label).join(' and ')} in ${run.table.table.name} ${chainName} rule ${cr.rule.position}`;
      if (run.budget.remaining <= 0) {
        run.budget.capped ??= cr.rule;
        const reason = `more than ${run.budget.cap} statistic branches; not all were explored`;
        job.state.steps.push(step(run, chainName, cr.rule, reason, run.table.printed(cr.rule)));
        return { verdict: 'unknown', state: job.state, rule: cr.rule, reason };
      }
      run.budget.remaining--;
      const other = cloneJob(job);
      other.state.branch.push(`${what}: not matched (p=${(1 - p).toFixed(4)})`);
      jobs.push(other);
      job.state.branch.push(`${what}: matched (p=${p.toFixed(4)})`);
    }
    const end = applyTarget(run, job, cr, chainName);
    if (end !== undefined) return end;
  }
}

/** Applies a matched rule's target; returns the table verdict when the target ends the table. */
function applyTarget(run: TableRun, job: Job, cr: CompiledRule, chainName: string): TableEnd | undefined {
  const t = cr.target;
  const s = job.state;
  const record = (action: string): void => {
    s.steps.push(step(run, chainName, cr.rule, action, run.table.printed(cr.rule)));
  };
  switch (t.kind) {
    case 'none':
      record('counted (no target)');
      return undefined;
    case 'inert':
      record(t.note ?? `${t.name} (continues)`);
      return undefined;
    case 'accept':
      record('ACCEPT');
      return { verdict: 'accept', state: s, translated: false };
    case 'drop':
      record('DROP');
      return { verdict: 'drop', state: s };
    case 'reject':
      record(`REJECT --reject-with ${t.with}`);
      return { verdict: 'reject', state: s, rejectWith: t.with };
    case 'return':
      record('RETURN');
      // ipt_do_table: RETURN with an empty jump stack goes to the built-in chain's underflow (policy).
      if (job.frames.length === 1) return policyEnd(run, job);
      job.frames.pop();
      return undefined;
    case 'jump': {
      const reason = enterChain(job, run.table.chain(t.chain), t.chain, t.goto, run.table.table.name);
      record(reason ?? `${t.goto ? 'goto' : 'jump'} ${t.chain}`);
      return reason === undefined ? undefined : { verdict: 'unknown', state: s, rule: cr.rule, reason };
    }
    case 'mark': {
      const mark = applyMark(s.packet.mark, t.op);
      record(`MARK ${hex(s.packet.mark)} → ${hex(mark)}`);
      s.packet = { ...s.packet, mark };
      return undefined;
    }
    case 'connmark-set':
    case 'connmark-save':
    case 'connmark-restore': {
      // xt_connmark.c connmark_tg: nothing to do without a conntrack entry.
      if (!hasConntrackEntry(s.ct)) {
        record(`CONNMARK: no conntrack entry (${s.ct.state}), nothing changed`);
        return undefined;
      }
      const p = s.packet;
      if (t.kind === 'connmark-restore') {
        const mark = ((p.mark & ~t.nfmask) ^ (p.connmark & t.ctmask)) >>> 0;
        record(`CONNMARK restore: mark ${hex(p.mark)} → ${hex(mark)}`);
        s.packet = { ...p, mark };
      } else {
        const connmark =
          t.kind === 'connmark-set'
            ? applyMark(p.connmark, t.op)
            : ((p.connmark & ~t.ctmask) ^ (p.mark & t.nfmask)) >>> 0;
        record(`CONNMARK ${t.kind === 'connmark-set' ? 'set' : 'save'}: ctmark ${hex(p.connmark)} → ${hex(connmark)}`);
        s.packet = { ...p, connmark };
      }
      return undefined;
    }
    case 'notrack':
      record('NOTRACK: conntrack will not track this packet (UNTRACKED)');
      s.ct = { ...s.ct, state: 'UNTRACKED', dnat: false, snat: false };
      return undefined;
    case 'nat': {
      const r = applyNat(t, run, s.packet);
      if (!r.ok) {
        record(r.reason);
        return r.verdict === 'drop'
          ? { verdict: 'drop', state: s }
          : { verdict: 'unknown', state: s, rule: cr.rule, reason: r.reason };
      }
      record(r.action);
      takeNat(s, r);
      // A NAT target returns NF_ACCEPT: the nat table is done for this hook.
      return { verdict: 'accept', state: s, translated: true };
    }
    case 'unknown':
      record(`cannot evaluate: ${t.reason}`);
      return { verdict: 'unknown', state: s, rule: cr.rule, reason: t.reason };
  }
}
