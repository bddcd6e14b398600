// Shapes of a compiled ruleset: every IptRule turned once into predicates over a MatchCtx and a
// target descriptor, so that a walk over a 100k-rule ruleset only compares numbers.
import type { IptChain, IptRule, IptRuleset, IptTable } from '../../model/types.ts';
import type { Packet } from '../packet.ts';
import type { ConntrackView, Hook, NetfilterEnv, PhysdevView } from './types.ts';

/** What a match sees: the packet as it is at this point of the walk, and the hook's devices. */
export interface MatchCtx {
  hook: Hook;
  packet: Packet;
  /**
   * The conntrack view. A match with a side effect on later packets' matches (`-m recent --set`)
   * replaces it with the updated view; the walk keeps what it finds here after each rule.
   */
  ct: ConntrackView;
  /** Input device name, '' when there is none (the kernel compares against an all-zero name). */
  inIface: string;
  /** Output device name, '' when there is none. */
  outIface: string;
  physdev: PhysdevView | undefined;
  env: NetfilterEnv;
  /**
   * Records a condition the match assumed to decide (a state the snapshot cannot show, e.g. an
   * xt_recent list taken as empty for a new flow); it becomes part of the outcome's branch.
   */
  assume(condition: string): void;
}

/** The evaluator cannot decide this match for this packet: why. */
export interface Unknown {
  unknown: string;
}

export type MatchResult = boolean | Unknown;
export type Pred = (ctx: MatchCtx) => MatchResult;

/**
 * A match that is true with some probability, independent of the packet (`-m statistic`).
 * The walk explores both outcomes.
 */
export interface Fork {
  /** Probability that the match is true, 0 < p < 1. */
  probability: number;
  /** How to name the branch: "statistic --mode random --probability 0.33333333349". */
  label: string;
}

/** What compiling one match module gives. */
export type CompiledMatch =
  | { kind: 'always' }
  | { kind: 'never'; why: string }
  /** `effect`: the predicate also changes state later matches see (xt_recent --set/--update/--remove). */
  | { kind: 'pred'; pred: Pred; effect?: boolean }
  | { kind: 'fork'; fork: Fork }
  | { kind: 'unknown'; reason: string };

/** Mark arithmetic of MARK/CONNMARK: new = (old & ~mask) ^ xor (xt_mark.c, xt_connmark.c). */
export interface MarkOp {
  mask: number;
  xor: number;
}

export type NatKind = 'dnat' | 'snat' | 'masquerade' | 'redirect' | 'netmap';

export interface NatRange {
  /** Address range; absent when the rule gives only ports (`--to-destination :8080`). */
  minAddr?: number;
  maxAddr?: number;
  /** Port range; absent when the rule gives none (ports are kept). */
  minPort?: number;
  maxPort?: number;
}

export type CompiledTarget =
  | { kind: 'none' }
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'reject'; with: string }
  | { kind: 'return' }
  | { kind: 'jump'; chain: string; goto: boolean }
  | { kind: 'mark'; op: MarkOp }
  | { kind: 'connmark-set'; op: MarkOp }
  | { kind: 'connmark-save'; nfmask: number; ctmask: number }
  | { kind: 'connmark-restore'; nfmask: number; ctmask: number }
  | { kind: 'notrack' }
  | { kind: 'nat'; nat: NatKind; range: NatRange; netmapPrefix?: { net: number; mask: number }; randomFully: boolean }
  /** Non-terminating and changes nothing the walk models (LOG, NFLOG, TCPMSS, ...). */
  | { kind: 'inert'; name: string; note?: string }
  | { kind: 'unknown'; reason: string };

export interface CompiledRule {
  rule: IptRule;
  preds: Pred[];
  forks: Fork[];
  /** Matches the evaluator does not understand (evaluated only if every known one passes). */
  unknowns: string[];
  /** Set when a known match can never be true (e.g. `-f` on an unfragmented packet). */
  never: boolean;
  target: CompiledTarget;
}

export interface CompiledChain {
  chain: IptChain;
  rules: CompiledRule[];
  /**
   * For rules in a long run of consecutive rules that each require one exact destination
   * (`-d A.B.C.D/32`, like kube-proxy's KUBE-SERVICES): the run they belong to, so the walk jumps
   * to the next rule for the packet's destination instead of testing every rule in between.
   */
  dstRunAt?: (DstRun | undefined)[];
}

/** Rules start..end-1 all require an exact destination; byDst lists their positions per address, ascending. */
export interface DstRun {
  start: number;
  end: number;
  byDst: Map<number, number[]>;
}

export interface CompiledTable {
  table: IptTable;
  /** A rule's line as this host printed it (its counters: model/rule-said.ts). */
  printed(rule: IptRule): string;
  /** Compiles a chain on first use; undefined when the table has no such chain. */
  chain(name: string): CompiledChain | undefined;
}

export interface CompiledRuleset {
  ruleset: IptRuleset;
  table(name: string): CompiledTable | undefined;
}
