// What every check reads: the Model, what the cluster runs (CNI, kube-proxy mode) and the World
// the engine walks. Built once per command from a snapshot; pure.
import { evaluateHook } from '../engine/netfilter/evaluate.ts';
import type { EngineOptions } from '../engine/walk.ts';
import type { ExternalEndpoint, World } from '../engine/world.ts';
import { buildWorld } from '../engine/world-from-model.ts';
import { detectFlavour } from '../model/detect.ts';
import type { ClusterFlavour } from '../model/detect.ts';
import type { Model } from '../model/model.ts';
import { usable } from '../model/provenance.ts';

export interface AnalysisContext {
  model: Model;
  flavour: ClusterFlavour;
  world: World;
  engine: EngineOptions;
  /** Host entries left out of the model because no Node object has their name (host-not-in-cluster). */
  outsiders: string[];
}

export function analysisContext(full: Model, externals: ExternalEndpoint[] = []): AnalysisContext {
  const { model, outsiders } = withoutOutsiders(full);
  const hosts = [...model.hosts.values()];
  return {
    model,
    outsiders,
    flavour: detectFlavour(model.cluster, hosts),
    world: buildWorld(hosts, model.cluster, externals),
    engine: { evaluate: evaluateHook },
  };
}

/** The same context with external hosts (a LAN PC) added to the world. */
export function withExternals(ctx: AnalysisContext, externals: ExternalEndpoint[]): AnalysisContext {
  return { ...ctx, world: { ...ctx.world, externals: [...ctx.world.externals, ...externals] } };
}

/**
 * A host entry whose name no Node object carries cannot be placed in the cluster; taken as a node,
 * its addresses could shadow a real node's. Decided only when the nodes were collected.
 */
function withoutOutsiders(model: Model): { model: Model; outsiders: string[] } {
  const nodesKnown = usable(model.objects.get('nodes') ?? { state: 'absent' }) && model.cluster.nodes.length > 0;
  if (!nodesKnown) return { model, outsiders: [] };
  const names = new Set(model.cluster.nodes.map((n) => n.name));
  const outsiders = [...model.hosts.keys()].filter((h) => !names.has(h));
  if (outsiders.length === 0) return { model, outsiders };
  const hosts = new Map([...model.hosts].filter(([h]) => names.has(h)));
  return { model: { ...model, hosts }, outsiders };
}
