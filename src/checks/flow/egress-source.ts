// Pod → host outside the cluster: which source address the far end sees, which rule rewrote it,
// and which configuration key put that rule there (docs/incidents.md #5).
import { text, texts } from '../../model/render/said.ts';
import type { Trace } from '../../engine/trace.ts';
import { CNI_MODULES } from '../../model/cni/index.ts';
import { configMap } from '../../model/detect.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';

/** The hop whose netfilter NAT rewrote the source (MASQUERADE or SNAT), if any. */
export function sourceNatHop(t: Trace): Trace['hops'][number] | undefined {
  return t.hops.find((h) => h.step === 'postrouting' && /accepted; (?:masquerade|snat)/i.test(text(h.detail)));
}

/**
 * The configuration behind masquerading of `podIp`, as `object: key: value` lines: each CNI's
 * (model/cni/), then ip-masq-agent's.
 */
export function masqueradeConfig(ctx: AnalysisContext, podIp: string, node: string): string[] {
  const { cluster } = ctx.model;
  const host = ctx.model.hosts.get(node);
  const out = CNI_MODULES.flatMap((m) => m.masqueradeConfig?.(cluster, podIp, node, host) ?? []);
  const agent = configMap(cluster, 'ip-masq-agent');
  if (agent !== undefined)
    for (const [k, v] of Object.entries(agent.data))
      out.push(`ConfigMap ${agent.namespace}/ip-masq-agent: ${k}: ${v.trim().replace(/\s+/g, ' ')}`);
  return out;
}

/** A finding when the pod's traffic reaches `dst` from another address than the pod's own. */
export function egressSourceFinding(
  ctx: AnalysisContext,
  t: Trace,
  pod: { name: string; ip: string; node: string },
  label: string,
): Finding | undefined {
  if (t.verdict !== 'delivered' || t.seenAs === undefined || t.seenAs.src === pod.ip) return undefined;
  const hop = sourceNatHop(t);
  const config = masqueradeConfig(ctx, pod.ip, hop?.node ?? pod.node);
  // Masquerading pod egress is most CNIs' default, so by itself it is the answer to "what will the
  // host see", not a fault; it is a problem when the configuration says otherwise in a key the
  // running version ignores (docs/incidents.md #5).
  const misleading = config.some((l) => l.includes('(deprecated'));
  return finding('pod-egress-masquerade', {
    severity: misleading ? 'warning' : 'info',
    node: hop?.node ?? pod.node,
    summary: `${label}: ${t.seenAs.dst} sees ${pod.name} as ${t.seenAs.src}, not ${pod.ip}${hop !== undefined ? ` (source NAT on ${hop.node})` : ''}${misleading ? '; the masquerade setting is in a deprecated key' : ''}`,
    evidence: [...texts(hop?.evidence ?? []), ...config],
  });
}
