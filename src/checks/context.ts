// What every check reads: the Model, what the cluster runs (CNI, kube-proxy mode) and the World
// the engine walks. Built once per command from a snapshot; pure.
import { evaluateHook } from '../engine/netfilter/evaluate.ts';
import type { EngineOptions } from '../engine/walk.ts';
import type { ExternalEndpoint, World } from '../engine/world.ts';
import { buildWorld } from '../engine/world-from-model.ts';
import { detectFlavour } from '../model/detect.ts';
import type { ClusterFlavour } from '../model/detect.ts';
import type { Model } from '../model/model.ts';

export interface AnalysisContext {
  model: Model;
  flavour: ClusterFlavour;
  world: World;
  engine: EngineOptions;
}

export function analysisContext(model: Model, externals: ExternalEndpoint[] = []): AnalysisContext {
  const hosts = [...model.hosts.values()];
  return {
    model,
    flavour: detectFlavour(model.cluster, hosts),
    world: buildWorld(hosts, model.cluster, externals),
    engine: { evaluate: evaluateHook },
  };
}

/** The same context with external hosts (a LAN PC) added to the world. */
export function withExternals(ctx: AnalysisContext, externals: ExternalEndpoint[]): AnalysisContext {
  return { ...ctx, world: { ...ctx.world, externals: [...ctx.world.externals, ...externals] } };
}
