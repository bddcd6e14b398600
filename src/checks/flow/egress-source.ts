// Pod → host outside the cluster: which source address the far end sees, which rule rewrote it,
// and which configuration key put that rule there (docs/incidents.md #5).
import { inCidr } from '../../lib/ipv4.ts';
import type { Trace } from '../../engine/trace.ts';
import { configMap } from '../../model/detect.ts';
import type { AnalysisContext } from '../context.ts';
import { FINDINGS } from '../catalog.ts';
import type { Finding } from '../finding.ts';

/** The hop whose netfilter NAT rewrote the source (MASQUERADE or SNAT), if any. */
export function sourceNatHop(t: Trace): Trace['hops'][number] | undefined {
  return t.hops.find((h) => h.step === 'postrouting' && /accepted; (?:masquerade|snat)/i.test(h.detail));
}

/** The configuration keys behind masquerading of `podIp`, as `object: key: value` lines. */
export function masqueradeConfig(ctx: AnalysisContext, podIp: string, node: string): string[] {
  const out: string[] = [];
  for (const p of ctx.model.cluster.ipPools) {
    if (inCidr(podIp, p.cidr)) out.push(`IPPool ${p.name} (${p.cidr}): natOutgoing: ${p.natOutgoing}`);
  }
  const cilium = configMap(ctx.model.cluster, 'cilium-config');
  if (cilium !== undefined) {
    for (const k of [
      'enable-ipv4-masquerade',
      'masquerade',
      'enable-bpf-masquerade',
      'ipv4-native-routing-cidr',
      'native-routing-cidr',
      'routing-mode',
      'tunnel',
    ]) {
      const v = cilium.data[k];
      if (v !== undefined)
        out.push(
          `ConfigMap ${cilium.namespace}/cilium-config: ${k}: ${JSON.stringify(v)}${DEPRECATED_CILIUM_KEYS[k] !== undefined ? ` (deprecated: ${DEPRECATED_CILIUM_KEYS[k]})` : ''}`,
        );
    }
    if (cilium.data['enable-ipv4-masquerade'] === undefined && cilium.data['masquerade'] === undefined)
      out.push(
        `ConfigMap ${cilium.namespace}/cilium-config: enable-ipv4-masquerade not set (Cilium's default is true)`,
      );
  }
  const flannel = ctx.model.hosts.get(node)?.flannel;
  if (flannel?.ipMasq !== undefined) out.push(`${node}:/run/flannel/subnet.env: FLANNEL_IPMASQ=${flannel.ipMasq}`);
  const agent = configMap(ctx.model.cluster, 'ip-masq-agent');
  if (agent !== undefined)
    for (const [k, v] of Object.entries(agent.data))
      out.push(`ConfigMap ${agent.namespace}/ip-masq-agent: ${k}: ${v.trim().replace(/\s+/g, ' ')}`);
  return out;
}

/**
 * Keys Cilium renamed; the old name was read for a while after the rename and later ignored
 * (cilium/pkg/option/config.go; upgrade notes of 1.10/1.11: masquerade → enable-ipv4-masquerade,
 * native-routing-cidr → ipv4-native-routing-cidr; 1.14: tunnel → routing-mode/tunnel-protocol).
 */
export const DEPRECATED_CILIUM_KEYS: Readonly<Record<string, string>> = {
  masquerade: 'replaced by enable-ipv4-masquerade',
  'native-routing-cidr': 'replaced by ipv4-native-routing-cidr',
  tunnel: 'replaced by routing-mode and tunnel-protocol',
};

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
  const f: Finding = {
    id: 'pod-egress-masquerade',
    severity: misleading ? 'warning' : 'info',
    node: hop?.node ?? pod.node,
    summary: `${label}: ${t.seenAs.dst} sees ${pod.name} as ${t.seenAs.src}, not ${pod.ip}${hop !== undefined ? ` (source NAT on ${hop.node})` : ''}${misleading ? '; the masquerade setting is in a deprecated key' : ''}`,
    evidence: [...(hop?.evidence ?? []), ...config],
    why: FINDINGS['pod-egress-masquerade'].meaning,
    fix: FINDINGS['pod-egress-masquerade'].fix,
  };
  return f;
}
