// The probes `--active` sends where no pair of nodes is crossed: the two pods of a flow question
// on the same node (the bridge CNI's, flannel's cni0, Calico's routed veths), and their node to
// the destination pod. Each is an ICMP echo the destination pod's kernel answers
// (snapshot/active.ts `echo`), captured on the host side of the pods' devices: a bridge port
// as the bridge's forwarding database names it (engine/bridge.ts podPort), or the routed veth.
// An echo is not the flow (a NetworkPolicy may admit TCP and refuse ICMP): it is shown as
// observed, never compared with the flow's verdict.
import { formatIpv4, parseIpv4 } from '../../lib/ipv4.ts';
import type { Ipv4 } from '../../lib/ipv4.ts';
import { podPort } from '../../engine/bridge.ts';
import { fibLookup, firstNextHop, preferredSource } from '../../engine/routing.ts';
import type { PodEndpoint } from '../../engine/world.ts';
import { podAttachment } from '../../engine/world.ts';
import type { Point, UnderlayProbe } from '../../snapshot/active.ts';
import type { AnalysisContext } from '../context.ts';

type Echo = Omit<UnderlayProbe, 'id' | 'size' | 'count' | 'df' | 'purpose'>;

/** The host-side device a pod's packets pass: its bridge port, else the device its node routes it by. */
function hostSide(ctx: AnalysisContext, pod: PodEndpoint): { dev: string } | { why: string } {
  const at = podAttachment(ctx.world, pod);
  if (at === undefined) return { why: `pod ${pod.name}: its node ${pod.node} has no route to ${formatIpv4(pod.ip)}` };
  if (at.host.links.get(at.dev)?.kind !== 'bridge') return { dev: at.dev };
  const port = podPort(at.host, at.dev, pod.ip);
  return port !== undefined
    ? { dev: port.port }
    : { why: `pod ${pod.name}: no neighbour and bridge fdb entry names its port on ${at.dev} (ip neigh, bridge fdb)` };
}

/** The node's own echo to the pod: out of the device its route names, from the address it selects. */
function nodeToPod(ctx: AnalysisContext, pod: PodEndpoint, port: string): Echo | string {
  const h = ctx.world.hosts.get(pod.node)!;
  const r = fibLookup(h, { dst: pod.ip, src: 0, iif: 'lo', mark: 0, tos: 0 });
  if (!r.ok || r.route.type !== 'unicast') return `${pod.node} has no unicast route to pod ${pod.name}`;
  const dev = firstNextHop(r.route).dev;
  const src = preferredSource(h, r.route);
  if (dev === undefined || src === undefined) return `${pod.node}: no source address toward pod ${pod.name}`;
  const path: Point[] = [{ node: pod.node, dev }];
  if (port !== dev) path.push({ node: pod.node, dev: port });
  return {
    kind: 'echo',
    from: pod.node,
    to: pod.node,
    src: formatIpv4(src),
    dst: formatIpv4(pod.ip),
    path,
    standsFor: `ICMP echo from node ${pod.node} to pod ${pod.name}`,
  };
}

function podToPod(a: PodEndpoint, aPort: string, b: PodEndpoint, bPort: string): Echo {
  return {
    kind: 'echo',
    from: a.node,
    to: b.node,
    src: formatIpv4(a.ip),
    dst: formatIpv4(b.ip),
    path: [
      { node: a.node, dev: aPort },
      { node: b.node, dev: bPort },
    ],
    standsFor: `ICMP echo from pod ${a.name}'s network namespace to pod ${b.name}`,
    enter: formatIpv4(a.ip),
  };
}

/**
 * Echo probes for a flow between two pods (source, destination): the node to the destination and,
 * when both are on one node, each pod to the other. Across nodes the pair probes (plan.ts) cover
 * the network between them. Not planned, with the reason in `skipped`, where a pod is on no probed
 * node or its host-side device is not known.
 */
export function localProbes(ctx: AnalysisContext, podIps: readonly string[], skipped: string[]): Echo[] {
  const pods: PodEndpoint[] = [];
  for (const ip of podIps) {
    const v = parseIpv4(ip) as Ipv4 | undefined;
    const pod = v === undefined ? undefined : ctx.world.pods.find((p) => p.ip === v);
    if (pod === undefined) {
      skipped.push(`pod ${ip}: on no probed node, not probed from its node`);
      return [];
    }
    pods.push(pod);
  }
  const [src, dst] = pods;
  if (src === undefined || dst === undefined) return [];
  const sides = pods.map((p) => hostSide(ctx, p));
  const out: Echo[] = [];
  for (const s of sides) if ('why' in s) skipped.push(s.why);
  const [srcSide, dstSide] = sides;
  if (dstSide !== undefined && 'dev' in dstSide) {
    const e = nodeToPod(ctx, dst, dstSide.dev);
    if (typeof e === 'string') skipped.push(e);
    else out.push(e);
  }
  if (src.node === dst.node && src.ip !== dst.ip && srcSide && 'dev' in srcSide && dstSide && 'dev' in dstSide)
    out.push(podToPod(src, srcSide.dev, dst, dstSide.dev), podToPod(dst, dstSide.dev, src, srcSide.dev));
  return out;
}
