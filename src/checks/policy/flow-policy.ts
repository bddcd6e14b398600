// The NetworkPolicy objects' verdict for a traced flow, next to the datapath's: one connection per
// destination pod (a Service's: each ready backend on its targetPort, as the policy sees it after
// DNAT), evaluated by engine/policy/evaluate.ts, and the findings where they deny, disagree with
// the traced rules, or leave out DNS.
import { parseIpv4 } from '../../lib/ipv4.ts';
import type { PodInfo, ServiceInfo } from '../../model/cluster.ts';
import { evaluatePolicies } from '../../engine/policy/evaluate.ts';
import type { PolicyContext, PolicyEndpoint, PolicyFlow, PolicyVerdict } from '../../engine/policy/evaluate.ts';
import type { FlowResult } from '../../engine/trace.ts';
import type { AnalysisContext } from '../context.ts';
import { finding } from '../finding.ts';
import type { Finding } from '../finding.ts';
import type { FlowReport } from '../flow/analyze.ts';
import type { FlowProtocol } from '../flow/packet-spec.ts';
import type { Source, Target } from '../queries/trace.ts';
import type { PolicyDoc } from '../report-doc.ts';
import { allowingRule, quoteRule } from './rule-text.ts';

export interface PolicyTarget {
  /** "web-0 (10.65.0.130) tcp/8080": the connection as the policy sees it. */
  label: string;
  flow: PolicyFlow;
}

export function policyEndpointOfPod(p: PodInfo): PolicyEndpoint {
  const ip = p.ips.find((x) => parseIpv4(x) !== undefined) ?? '';
  // A host-network pod is its node to every policy implementation.
  if (p.hostNetwork) return { kind: 'node', name: p.node ?? '', ip };
  return {
    kind: 'pod',
    namespace: p.namespace,
    name: p.name,
    labels: p.labels,
    ip,
    ...(p.node !== undefined ? { node: p.node } : {}),
    namedPorts: p.namedPorts,
  };
}

function nodeEndpoint(ctx: AnalysisContext, name: string): PolicyEndpoint {
  const n = ctx.model.cluster.nodes.find((x) => x.name === name);
  return { kind: 'node', name, ip: n?.internalIPs[0] ?? '' };
}

/** A Service's ready backends, each with the port its endpoint slice gives for the Service port. */
export function serviceBackends(
  ctx: AnalysisContext,
  svc: ServiceInfo,
  port: number | undefined,
): { pod: PodInfo; port: number | undefined }[] {
  const sp = svc.ports.find((p) => p.port === port || p.nodePort === port) ?? svc.ports[0];
  const out: { pod: PodInfo; port: number | undefined }[] = [];
  for (const s of ctx.model.cluster.endpointSlices.filter(
    (x) => x.namespace === svc.namespace && x.service === svc.name,
  )) {
    const ep = s.ports.find((p) => (sp?.name ?? '') === (p.name ?? '')) ?? s.ports[0];
    const target = ep?.port ?? (typeof sp?.targetPort === 'number' ? sp.targetPort : sp?.port);
    for (const e of s.endpoints.filter((x) => x.ready && x.pod !== undefined)) {
      const pod = ctx.model.cluster.pods.find((p) => p.namespace === svc.namespace && p.name === e.pod);
      if (pod !== undefined && !out.some((o) => o.pod === pod)) out.push({ pod, port: target });
    }
  }
  return out;
}

function sourceEndpoint(ctx: AnalysisContext, s: Source): PolicyEndpoint {
  if (s.kind === 'pod') return policyEndpointOfPod(s.pod);
  if (s.kind === 'node') return nodeEndpoint(ctx, s.node);
  return { kind: 'external', ip: s.ip };
}

function describe(e: PolicyEndpoint): string {
  return e.kind === 'pod' ? `${e.namespace}/${e.name} (${e.ip})` : e.kind === 'node' ? `node ${e.name}` : e.ip;
}

function connection(
  src: PolicyEndpoint,
  dst: PolicyEndpoint,
  protocol: FlowProtocol,
  port: number | undefined,
): PolicyTarget {
  const flow: PolicyFlow = { src, dst, protocol, ...(port !== undefined && protocol !== 'icmp' ? { port } : {}) };
  return { label: `${describe(src)} → ${describe(dst)} ${protocol === 'icmp' ? 'icmp' : `${protocol}/${port}`}`, flow };
}

/** The connections the policies judge for a trace from `src` to `dst`. */
export function policyTargets(
  ctx: AnalysisContext,
  src: Source,
  dst: Target,
  protocol: FlowProtocol,
  port: number | undefined,
): PolicyTarget[] {
  const s = sourceEndpoint(ctx, src);
  if (dst.kind === 'service' && dst.service !== undefined)
    return serviceBackends(ctx, dst.service, port).map((b) =>
      connection(s, policyEndpointOfPod(b.pod), protocol, b.port),
    );
  const d: PolicyEndpoint =
    dst.kind === 'pod' && dst.pod !== undefined
      ? policyEndpointOfPod(dst.pod)
      : dst.kind === 'node' && dst.node !== undefined
        ? nodeEndpoint(ctx, dst.node)
        : { kind: 'external', ip: dst.ip };
  return [connection(s, d, protocol, port)];
}

export function policyContext(ctx: AnalysisContext): PolicyContext {
  const m = ctx.flavour.module?.networkPolicy;
  return {
    policies: ctx.model.cluster.networkPolicies,
    ...(m?.ipBlockMatchesPods !== undefined ? { ipBlockMatchesPods: m.ipBlockMatchesPods } : {}),
  };
}

type Datapath = PolicyDoc['datapath'];

function traces(r: FlowResult) {
  return r.reply !== undefined ? [r.forward, r.reply] : [r.forward];
}

/** What the traced datapath did with the connection to `ip`. */
function datapathFor(results: readonly FlowResult[], ip: string, only: boolean): Datapath {
  if (results.some((r) => traces(r).some((t) => t.hops.some((h) => h.reason?.kind === 'datapath-not-modelled'))))
    return 'not-walked';
  if (results.some((r) => r.forward.verdict === 'delivered' && r.forward.seenAs?.dst === ip)) return 'delivered';
  const failed = results.filter((r) => r.forward.verdict !== 'delivered');
  if (failed.some((r) => r.forward.verdict === 'unknown')) return 'unknown';
  return failed.length > 0 && (only || !results.some((r) => r.forward.verdict === 'delivered')) ? 'dropped' : 'unknown';
}

/** A drop decided in a chain a policy engine writes (felix's cali-pi-/cali-po-/cali-tw-/cali-fw-). */
function droppedByPolicyChain(results: readonly FlowResult[]): string | undefined {
  for (const r of results) {
    const d = r.forward.decisive;
    const at = d?.reason?.kind === 'netfilter-drop' || d?.reason?.kind === 'netfilter-reject' ? d.reason.at : undefined;
    if (at !== undefined && /^cali-(p[io]|[tf]w|pr[io])-/.test(at.chain)) return at.chain;
  }
  return undefined;
}

function deniedEvidence(v: PolicyVerdict): string[] {
  return v.sides
    .filter((s) => s.verdict !== 'allowed')
    .flatMap((s) => [
      `${s.direction} of ${s.pod}: ${s.reason}`,
      ...s.misses.map(
        (m) => `  NetworkPolicy ${m.policy} spec.${s.direction}[${m.index}] ${quoteRule(m.rule)}: ${m.why}`,
      ),
    ]);
}

function deniedFix(t: PolicyTarget, v: PolicyVerdict): string {
  const lines = v.sides
    .filter((s) => s.verdict === 'denied')
    .map((s) => {
      const policy = s.policies[0]!;
      const [ns, name] = policy.split('/') as [string, string];
      return `add to NetworkPolicy ${policy} (kubectl -n ${ns} edit networkpolicy ${name}) under spec.${s.direction}: ${allowingRule(s.direction, t.flow)}`;
    });
  return `${lines.join('; and ')} — or change the pod labels its rules select on.`;
}

export interface PolicyOutcome {
  docs: PolicyDoc[];
  findings: Finding[];
  notes: string[];
}

export function policyFindings(
  ctx: AnalysisContext,
  label: string,
  targets: readonly PolicyTarget[],
  flow: FlowReport,
): PolicyOutcome {
  const out: PolicyOutcome = { docs: [], findings: [], notes: [] };
  const pctx = policyContext(ctx);
  if (pctx.policies.length === 0) return out;
  const enforcement = ctx.flavour.module?.networkPolicy;
  for (const t of targets) {
    const v = evaluatePolicies(pctx, t.flow);
    if (v.sides.every((s) => s.policies.length === 0)) continue;
    const dst = t.flow.dst;
    const datapath = datapathFor(flow.results, dst.ip, targets.length === 1);
    out.docs.push({
      flow: t.label,
      verdict: v.verdict,
      datapath,
      sides: v.sides.map((s) => ({ direction: s.direction, pod: s.pod, verdict: s.verdict, reason: s.reason })),
    });
    const node = dst.kind === 'pod' ? dst.node : undefined;
    const evidence = deniedEvidence(v);
    if (datapath === 'not-walked')
      out.notes.push(
        `${t.label}: the datapath is not walked (eBPF); the NetworkPolicy objects' verdict, ${v.verdict}, is what there is`,
      );
    if (v.verdict === 'unknown') {
      out.findings.push(
        finding('networkpolicy-undecided', {
          node,
          summary: `${label}: whether the NetworkPolicies let ${t.label} through is not known`,
          evidence,
        }),
      );
      continue;
    }
    const chain = droppedByPolicyChain(flow.results);
    if (v.verdict === 'denied' && datapath === 'delivered') {
      const id = enforcement?.enforces === false ? 'networkpolicy-not-enforced' : 'networkpolicy-mismatch';
      out.findings.push(
        finding(id, {
          node,
          summary: `${label}: the NetworkPolicy objects deny ${t.label}, but the traced datapath delivers it${enforcement !== undefined ? ` (${ctx.flavour.cni.value}: ${enforcement.how})` : ''}`,
          evidence,
        }),
      );
      continue;
    }
    if (v.verdict === 'allowed' && datapath === 'dropped' && chain !== undefined) {
      out.findings.push(
        finding('networkpolicy-mismatch', {
          node,
          summary: `${label}: the NetworkPolicy objects allow ${t.label}, but it is dropped in policy chain ${chain}`,
          evidence: v.sides.map((s) => `${s.direction} of ${s.pod}: ${s.reason}`),
        }),
      );
      continue;
    }
    if (v.verdict === 'denied')
      out.findings.push(
        finding('networkpolicy-denies', {
          node,
          summary: `${label}: NetworkPolicy ${[...new Set(v.sides.filter((s) => s.verdict === 'denied').flatMap((s) => s.policies))].join(', ')} ${datapath === 'dropped' ? 'denies' : 'would deny'} ${t.label}`,
          evidence,
          fix: deniedFix(t, v),
        }),
      );
  }
  out.findings.push(...dnsEgress(ctx, pctx, targets));
  return out;
}

/** A pod isolated for egress whose policies do not let it ask the cluster DNS. */
function dnsEgress(ctx: AnalysisContext, pctx: PolicyContext, targets: readonly PolicyTarget[]): Finding[] {
  const src = targets[0]?.flow.src;
  if (src?.kind !== 'pod') return [];
  const dns = ctx.model.cluster.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns');
  if (dns === undefined) return [];
  const backends = serviceBackends(ctx, dns, dns.ports.find((p) => p.protocol === 'UDP' && p.port === 53)?.port ?? 53);
  const checks = backends.map((b) => connection(src, policyEndpointOfPod(b.pod), 'udp', b.port ?? 53));
  if (checks.length === 0 || targets.some((t) => checks.some((c) => c.label === t.label))) return [];
  const vs = checks.map((c) => ({ c, v: evaluatePolicies(pctx, c.flow) }));
  const egress = vs.map((x) => x.v.sides.find((s) => s.direction === 'egress'));
  if (!egress.every((s) => s?.verdict === 'denied')) return [];
  return [
    finding('networkpolicy-dns-egress', {
      node: src.node,
      summary: `${src.namespace}/${src.name} is isolated for egress by ${egress[0]!.policies.join(', ')}, and no egress rule allows udp/53 to the cluster DNS (${checks.map((c) => describe(c.flow.dst)).join(', ')})`,
      evidence: deniedEvidence(vs[0]!.v),
    }),
  ];
}
