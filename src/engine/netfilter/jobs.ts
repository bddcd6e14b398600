// The walk of one base chain as a stack of jobs, shared by the iptables (walk.ts) and the native
// nftables (nft/walk.ts) evaluators: a job is one branch of the walk (a `statistic` or `numgen`
// choice) with its own state and its own stack of chain frames (jump pushes, return pops).
import type { TableEnd, WalkState } from './walk.ts';

export interface Frame<C> {
  chain: C;
  pos: number;
}

export interface Job<C> {
  state: WalkState;
  frames: Frame<C>[];
  /** Chain entries so far, against a runaway walk. */
  entries: number;
}

function copyState(s: WalkState): WalkState {
  return { ...s, steps: [...s.steps], branch: [...s.branch] };
}

/** A branch of `j` that goes on independently: its own state and frames (and nothing else of j). */
export function cloneJob<C>(j: Job<C>): Job<C> {
  return { state: copyState(j.state), frames: j.frames.map((f) => ({ ...f })), entries: j.entries };
}

/**
 * Runs a walk from `start` at the top of `base` until every branch has its verdict: `advance`
 * runs one job to its end and pushes the branches it forks onto `jobs`.
 */
export function runJobs<C, J extends Job<C>>(
  base: C,
  start: WalkState,
  advance: (job: J, jobs: J[]) => TableEnd,
): TableEnd[] {
  const ends: TableEnd[] = [];
  const jobs = [{ state: copyState(start), frames: [{ chain: base, pos: 0 }], entries: 0 } as J];
  while (jobs.length > 0) ends.push(advance(jobs.pop() as J, jobs));
  return ends;
}

// iptables-legacy refuses loops when loading and nf_tables caps jumps at NFT_JUMP_STACK_SIZE (16)
// deep; deeper, or this many chain entries, means a bug here rather than a real ruleset.
const MAX_DEPTH = 64;
const MAX_CHAIN_ENTRIES = 100_000;

/**
 * A jump or goto to chain `name` of `table` (`target` undefined: the table lacks it). A jump
 * pushes a frame, so the walk returns after it; a goto replaces the current frame. Returns why the
 * walk cannot follow, or undefined when it does.
 */
export function enterChain<C>(job: Job<C>, target: C | undefined, name: string, goto: boolean, table: string) {
  if (target === undefined) return `${goto ? 'goto' : 'jump'} to chain ${name}, which table ${table} does not have`;
  job.entries++;
  if (job.frames.length >= MAX_DEPTH || job.entries > MAX_CHAIN_ENTRIES)
    return `chain ${name}: jumps nest deeper than ${MAX_DEPTH} or loop`;
  const frame = { chain: target, pos: 0 };
  if (goto) job.frames[job.frames.length - 1] = frame;
  else job.frames.push(frame);
  return undefined;
}
