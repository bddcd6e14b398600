// Which finding a trace's deciding hop is: the engine's typed reason (engine/trace.ts HopReason)
// mapped onto the stable finding IDs. Never the wording of a hop, which may change freely.
import { texts } from '../../model/render/said.ts';
import type { Hop, Trace } from '../../engine/trace.ts';
import type { FindingId } from '../catalog.ts';

/**
 * kube-proxy's own rule for a Service without endpoints: in iptables mode the REJECT's comment
 * (pkg/proxy/iptables/proxier.go), in nftables mode the verdict maps it sends them through
 * (pkg/proxy/nftables/proxier.go noEndpointServicesMap, noEndpointNodePortsMap).
 */
const NO_ENDPOINTS = /has no endpoints|vmap @no-endpoint-(?:services|nodeports) #/;
/** kube-proxy's comment on the DROP for traffic policy Local without a local endpoint (proxier.go). */
const NO_LOCAL_ENDPOINTS = /has no local endpoints/;

/** The hop that decided a trace that was not delivered. */
export function decidingHop(t: Trace): Hop | undefined {
  return t.decisive ?? t.hops[t.hops.length - 1];
}

export function classifyTrace(t: Trace): FindingId | undefined {
  if (t.verdict === 'delivered') return undefined;
  const hop = decidingHop(t);
  if (hop?.reason === undefined || t.verdict === 'unknown') return 'path-unknown';
  const r = hop.reason;
  switch (r.kind) {
    case 'link-down':
    case 'routing-loop':
    case 'martian-source':
    case 'forwarding-disabled':
    case 'no-route':
    case 'no-neighbor':
    case 'no-decapsulation':
    case 'vtep-mac-mismatch':
    case 'mtu-exceeded':
    case 'reply-source-mismatch':
      return r.kind;
    case 'rp-filter':
      return 'rp-filter-drop';
    case 'route-refused':
    case 'no-source-address':
      return 'blackhole-route';
    case 'ipvs-no-real-server':
      return 'service-no-endpoints';
    case 'netfilter-drop':
    case 'netfilter-reject':
      // The rule is kube-proxy's own for a Service without endpoints: its comment or map says so.
      if (texts(hop.evidence).some((e) => NO_ENDPOINTS.test(e))) return 'service-no-endpoints';
      if (texts(hop.evidence).some((e) => NO_LOCAL_ENDPOINTS.test(e))) return 'service-no-local-endpoint';
      return r.kind;
    case 'not-modelled':
    case 'neighbor-unknown':
    case 'not-probed':
    case 'data-missing':
    case 'datapath-not-modelled':
      return 'path-unknown';
  }
}
