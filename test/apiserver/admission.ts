// Pod Security admission (k8s.io/pod-security-admission), the checks a probe-like pod meets:
// baseline, then restricted, each in the registry's order, aggregated into
// `violates PodSecurity "<level>:<version>": reason (detail), ...` as policy.AggregateCheckResults
// and admission.go print it. Messages follow policy/check_*.go.
interface Container {
  name?: string;
  securityContext?: {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
  };
  ports?: { hostPort?: number }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name?: string; hostPath?: unknown }[];
}

export type Level = 'privileged' | 'baseline' | 'restricted';

const plural = (names: string[]) =>
  names.length === 1
    ? `container ${JSON.stringify(names[0])}`
    : `containers ${names.map((n) => JSON.stringify(n)).join(', ')}`;

const BASELINE_CAPS = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

type Check = (spec: PodSpec, all: Container[]) => string | undefined;

const baseline: Check[] = [
  (_s, all) => {
    const bad = all.flatMap((c) =>
      (c.securityContext?.capabilities?.add ?? []).filter((a) => !BASELINE_CAPS.has(a)).map((a) => `${c.name}:${a}`),
    );
    return bad.length > 0 ? `non-default capabilities (${bad.join(', ')})` : undefined;
  },
  (s) => {
    const ns = [s.hostNetwork && 'hostNetwork=true', s.hostPID && 'hostPID=true', s.hostIPC && 'hostIPC=true'].filter(
      (x): x is string => typeof x === 'string',
    );
    return ns.length > 0 ? `host namespaces (${ns.join(', ')})` : undefined;
  },
  (s) => {
    const vols = (s.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => JSON.stringify(v.name ?? ''));
    return vols.length > 0 ? `hostPath volumes (volume${vols.length > 1 ? 's' : ''} ${vols.join(', ')})` : undefined;
  },
  (_s, all) => {
    const ports = all.flatMap((c) =>
      (c.ports ?? []).map((p) => p.hostPort).filter((p): p is number => typeof p === 'number' && p !== 0),
    );
    return ports.length > 0
      ? `hostPort (${plural(all.filter((c) => (c.ports ?? []).some((p) => p.hostPort)).map((c) => c.name ?? ''))} uses hostPorts ${ports.join(', ')})`
      : undefined;
  },
  (_s, all) => {
    const bad = all.filter((c) => c.securityContext?.privileged === true).map((c) => c.name ?? '');
    return bad.length > 0 ? `privileged (${plural(bad)} must not set securityContext.privileged=true)` : undefined;
  },
];

const restricted: Check[] = [
  (_s, all) => {
    const bad = all.filter((c) => c.securityContext?.allowPrivilegeEscalation !== false).map((c) => c.name ?? '');
    return bad.length > 0
      ? `allowPrivilegeEscalation != false (${plural(bad)} must set securityContext.allowPrivilegeEscalation=false)`
      : undefined;
  },
  (_s, all) => {
    const bad = all
      .filter((c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'))
      .map((c) => c.name ?? '');
    return bad.length > 0
      ? `unrestricted capabilities (${plural(bad)} must set securityContext.capabilities.drop=["ALL"])`
      : undefined;
  },
  (s) => {
    const vols = (s.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => JSON.stringify(v.name ?? ''));
    return vols.length > 0
      ? `restricted volume types (volume${vols.length > 1 ? 's' : ''} ${vols.join(', ')} use${vols.length > 1 ? '' : 's'} restricted volume type "hostPath")`
      : undefined;
  },
  (s, all) => {
    if (s.securityContext?.runAsNonRoot === true) return undefined;
    const bad = all.filter((c) => c.securityContext?.runAsNonRoot !== true).map((c) => c.name ?? '');
    return bad.length > 0
      ? `runAsNonRoot != true (pod or ${plural(bad)} must set securityContext.runAsNonRoot=true)`
      : undefined;
  },
  (s, all) => {
    if (s.securityContext?.runAsUser === 0) return 'runAsUser=0 (pod must not set runAsUser=0)';
    const bad = all.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name ?? '');
    return bad.length > 0 ? `runAsUser=0 (${plural(bad)} must not set runAsUser=0)` : undefined;
  },
  (s, all) => {
    const ok = (t?: string) => t === 'RuntimeDefault' || t === 'Localhost';
    if (ok(s.securityContext?.seccompProfile?.type)) return undefined;
    const bad = all.filter((c) => !ok(c.securityContext?.seccompProfile?.type)).map((c) => c.name ?? '');
    return bad.length > 0
      ? `seccompProfile (pod or ${plural(bad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
      : undefined;
  },
];

/** The enforce level and version of a namespace, from its labels, else the cluster default. */
export function enforcePolicy(labels: Record<string, string>, defaultLevel: Level): { level: Level; version: string } {
  const l = labels['pod-security.kubernetes.io/enforce'];
  const level: Level = l === 'privileged' || l === 'baseline' || l === 'restricted' ? l : defaultLevel;
  return { level, version: labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest' };
}

/** The admission error text, or undefined when the pod is allowed. */
export function podSecurityViolation(spec: PodSpec, policy: { level: Level; version: string }): string | undefined {
  if (policy.level === 'privileged') return undefined;
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const checks = policy.level === 'restricted' ? [...baseline, ...restricted] : baseline;
  const reasons = checks.map((c) => c(spec, all)).filter((r): r is string => r !== undefined);
  return reasons.length === 0
    ? undefined
    : `violates PodSecurity "${policy.level}:${policy.version}": ${reasons.join(', ')}`;
}
