// A doctor check declares itself: what it looks at (one node, each pair of nodes, the cluster),
// the findings it may emit, when it applies and which data it needs. The runner
// (checks/run-checks.ts) reads the declaration: it skips a check that does not apply, and judges
// a node only where the data the check needs was collected — "not enough data" is an outcome of
// its own, never an empty list read as "nothing wrong" (the model of cilium-cli's scenario
// requirements).
import type { HostNet } from '../engine/host-net.ts';
import type { HostState } from '../model/types.ts';
import type { ObjectKind } from '../snapshot/types.ts';
import type { FindingId } from './catalog.ts';
import type { AnalysisContext } from './context.ts';
import type { Finding } from './finding.ts';

/**
 * node: judges each probed node from its own state. pair: each node against its peers (both
 * ends' state). cluster: the cluster objects, and possibly every node's state at once.
 */
export type CheckScope = 'node' | 'pair' | 'cluster';

/** The data a check reads. Host sections are named as in the snapshot (docs/snapshot.md). */
export interface Needs {
  /** Sections every node it judges must have usable (collected or partial). */
  sections: readonly string[];
  /** Object kinds that must be usable for the check to run at all. */
  objects: readonly ObjectKind[];
}

interface CheckBase {
  /** Stable name: `doctor --check NAME`, `doctor --list`. */
  name: string;
  describe: string;
  scope: CheckScope;
  /** Every finding ID it may emit (docs/findings.md documents them). */
  emits: readonly FindingId[];
  /**
   * Also run on the nodes of a flow that does not fully work (pod-to-pod, lan): a trace can stop
   * short of a cause that this check names.
   */
  onPath: boolean;
  /** Why the check does not apply to this cluster (another CNI, another kube-proxy mode); undefined: it applies. */
  notApplicable?(ctx: AnalysisContext): string | undefined;
  /** The data it needs; may depend on what the cluster runs (flannel's subnet.env on flannel only). */
  needs(ctx: AnalysisContext): Needs;
}

/** A node-scope check: called once per probed node that has the data it needs. */
export interface NodeScopeCheck extends CheckBase {
  scope: 'node';
  node(ctx: AnalysisContext, h: HostState, net: HostNet): Finding[];
}

/** What a pair or cluster check sees: the nodes with the data it needs, and a way to say a peer lacks some. */
export interface CheckContext extends AnalysisContext {
  /** Probed nodes whose needed sections are usable, by name (a subset of model.hosts). */
  judged: ReadonlyMap<string, HostState>;
  /**
   * Whether `node` has `sections` usable; when it does not, the runner records the gap, so the
   * check can leave the question open instead of reading emptiness as a fact.
   */
  has(node: string, sections: readonly string[]): boolean;
  /** Whether `node` has `sections` usable, recording nothing: for deciding whether a question needs asking at all. */
  peek(node: string, sections: readonly string[]): boolean;
}

export interface WideScopeCheck extends CheckBase {
  scope: 'pair' | 'cluster';
  run(ctx: CheckContext): Finding[];
}

export type DoctorCheck = NodeScopeCheck | WideScopeCheck;

/** Needs that never change with the cluster. */
export function fixedNeeds(sections: readonly string[], objects: readonly ObjectKind[] = []): () => Needs {
  return () => ({ sections, objects });
}
