// Older shapes of a Service's backends, as discovery.k8s.io/v1 EndpointSlices (the snapshot's
// shape, read by model/cluster.ts). v1beta1 (Kubernetes 1.17-1.24) names the node in
// topology["kubernetes.io/hostname"] where v1 has nodeName (v1 keeps it as deprecatedTopology);
// core Endpoints hold ready and not-ready addresses per subset, each subset one set of ports
// (k8s.io/kubernetes pkg/controller/endpointslicemirroring does the same mapping).
import type { KubeObject } from '../../snapshot/types.ts';

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const HOSTNAME_TOPOLOGY = 'kubernetes.io/hostname';
/** Says in the snapshot that an object was converted, and from what. */
export const ANNOTATION_CONVERTED_FROM = 'netcheck.io/converted-from';

function annotated(meta: Rec, from: string): Rec {
  return { ...meta, annotations: { ...rec(meta['annotations']), [ANNOTATION_CONVERTED_FROM]: from } };
}

/** A discovery.k8s.io/v1beta1 EndpointSlice in the v1 shape. */
export function sliceV1beta1AsV1(o: KubeObject): KubeObject {
  const endpoints = arr(o['endpoints']).map((raw) => {
    const { topology, ...e } = rec(raw);
    const topo = rec(topology);
    const host = topo[HOSTNAME_TOPOLOGY];
    const out: Rec = { ...e };
    if (out['nodeName'] === undefined && typeof host === 'string') out['nodeName'] = host;
    if (topology !== undefined) out['deprecatedTopology'] = topo;
    return out;
  });
  return {
    ...o,
    apiVersion: 'discovery.k8s.io/v1',
    metadata: annotated(rec(o['metadata']), 'discovery.k8s.io/v1beta1'),
    endpoints,
  };
}

function endpointOf(a: unknown, ready: boolean): Rec {
  const addr = rec(a);
  const e: Rec = { addresses: [addr['ip']], conditions: { ready } };
  if (typeof addr['nodeName'] === 'string') e['nodeName'] = addr['nodeName'];
  if (typeof addr['hostname'] === 'string') e['hostname'] = addr['hostname'];
  if (addr['targetRef'] !== undefined) e['targetRef'] = addr['targetRef'];
  return e;
}

/** A core v1 Endpoints as EndpointSlices, one per subset (one set of ports each). */
export function endpointsAsSlices(o: KubeObject): KubeObject[] {
  const meta = rec(o['metadata']);
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  return arr(o['subsets']).map((raw, i) => {
    const subset = rec(raw);
    const ips = [...arr(subset['addresses']), ...arr(subset['notReadyAddresses'])].map((a) => rec(a)['ip']);
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: annotated(
        {
          name: `${name}-endpoints-${i}`,
          namespace: meta['namespace'],
          labels: { ...rec(meta['labels']), 'kubernetes.io/service-name': name },
        },
        'v1/Endpoints',
      ),
      addressType: ips.some((ip) => typeof ip === 'string' && ip.includes(':')) ? 'IPv6' : 'IPv4',
      endpoints: [
        ...arr(subset['addresses']).map((a) => endpointOf(a, true)),
        ...arr(subset['notReadyAddresses']).map((a) => endpointOf(a, false)),
      ],
      ports: arr(subset['ports']).map((p) => {
        const port = rec(p);
        const out: Rec = { port: port['port'], protocol: port['protocol'] ?? 'TCP' };
        if (typeof port['name'] === 'string') out['name'] = port['name'];
        return out;
      }),
    };
  });
}
