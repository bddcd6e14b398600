// One Service per kube-proxy feature, for the real kube-proxy v1.20.2 to write rules for
// (test/fixtures/kube-proxy/README.md). The node and its addresses are those of the lab node of
// test/lab/kube-proxy-rules.test.ts (eth0 192.168.0.2/24, 192.168.1.2 and 192.168.1.5 on lo,
// pods and endpoints in 10.0.0.0/8 behind cni0), so that the captured rules can be replayed there
// and sent real packets. Endpoints named node-a are this node's; node-b's are elsewhere.
// internalTrafficPolicy is 1.21+ (alpha, ServiceInternalTrafficPolicy): 1.20's API drops the field,
// so it is not among them.
import type { KubeProxyRunSpec } from './kube-proxy.ts';

const NS = 'default';

interface Ep {
  ip: string;
  node: 'node-a' | 'node-b';
}

interface FeatureService {
  name: string;
  spec: Record<string, unknown>;
  endpoints: Ep[];
}

const port = (nodePort?: number) => ({
  name: 'http',
  port: 80,
  targetPort: 80,
  protocol: 'TCP',
  ...(nodePort !== undefined ? { nodePort } : {}),
});

/** "10.180.0.1@node-a" → an endpoint on that node. */
const eps = (...list: string[]): Ep[] =>
  list.map((e) => {
    const [ip, node] = e.split('@') as [string, Ep['node']];
    return { ip, node };
  });

const svc = (name: string, spec: Record<string, unknown>, endpoints: Ep[]): FeatureService => ({
  name,
  spec,
  endpoints,
});

const SOURCE_RANGES = { loadBalancerSourceRanges: ['203.0.113.0/25'] };

export const FEATURE_SERVICES: readonly FeatureService[] = [
  svc('clusterip', { clusterIP: '10.96.0.11', ports: [port()] }, eps('10.180.0.1@node-a', '10.180.0.2@node-a')),
  svc(
    'np-cluster',
    { type: 'NodePort', clusterIP: '10.96.0.12', ports: [port(30001)], externalTrafficPolicy: 'Cluster' },
    eps('10.180.0.1@node-a', '10.180.0.2@node-a'),
  ),
  svc(
    'np-local',
    { type: 'NodePort', clusterIP: '10.96.0.13', ports: [port(30002)], externalTrafficPolicy: 'Local' },
    eps('10.180.0.3@node-a', '10.99.0.3@node-b'),
  ),
  svc(
    'np-local-remote',
    { type: 'NodePort', clusterIP: '10.96.0.14', ports: [port(30003)], externalTrafficPolicy: 'Local' },
    eps('10.99.0.4@node-b'),
  ),
  svc(
    'lb-cluster',
    {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.15',
      ports: [port(30005)],
      externalTrafficPolicy: 'Cluster',
      ...SOURCE_RANGES,
    },
    eps('10.180.0.4@node-a'),
  ),
  svc(
    'lb-local',
    {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.16',
      ports: [port(30006)],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 30506,
      ...SOURCE_RANGES,
    },
    eps('10.180.0.5@node-a', '10.99.0.5@node-b'),
  ),
  svc(
    'external-ip',
    { clusterIP: '10.96.0.17', ports: [port()], externalIPs: ['192.168.99.22'] },
    eps('10.180.0.4@node-a', '10.180.0.5@node-a'),
  ),
  svc(
    'affinity',
    {
      clusterIP: '10.96.0.18',
      ports: [port()],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    },
    eps('10.180.0.3@node-a', '10.180.0.4@node-a'),
  ),
  svc('no-endpoints', { type: 'NodePort', clusterIP: '10.96.0.19', ports: [port(30009)] }, []),
];

/** The load balancers' addresses (status.loadBalancer.ingress; no cloud provider sets them here). */
export const FEATURE_LB_INGRESS: Readonly<Record<string, readonly string[]>> = {
  [`${NS}/lb-cluster`]: ['5.6.7.8'],
  [`${NS}/lb-local`]: ['1.2.3.4'],
};

export function featureObjects(): string {
  return [
    ...FEATURE_SERVICES.flatMap((s) => [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: s.name, namespace: NS }, spec: s.spec },
      ...(s.endpoints.length === 0
        ? []
        : [
            {
              apiVersion: 'discovery.k8s.io/v1beta1',
              kind: 'EndpointSlice',
              metadata: { name: `${s.name}-lab`, namespace: NS, labels: { 'kubernetes.io/service-name': s.name } },
              addressType: 'IPv4',
              endpoints: s.endpoints.map((e) => ({
                addresses: [e.ip],
                conditions: { ready: true },
                topology: { 'kubernetes.io/hostname': e.node },
              })),
              ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
            },
          ]),
    ]),
  ]
    .map((o) => JSON.stringify(o))
    .join('\n');
}

/**
 * The kubelet's own chains (pkg/kubelet/kubelet_network_linux.go syncNetworkUtil, v1.20:
 * KUBE-MARK-DROP's mark and KUBE-FIREWALL's DROP of it, which kube-proxy 1.20 relies on but does
 * not write), as its EnsureRule calls add them, before kube-proxy starts.
 */
export const KUBELET_1_20_CHAINS: readonly (readonly string[])[] = [
  ['-t', 'nat', '-N', 'KUBE-MARK-DROP'],
  ['-t', 'nat', '-A', 'KUBE-MARK-DROP', '-j', 'MARK', '--or-mark', '0x008000'],
  ['-N', 'KUBE-FIREWALL'],
  [
    '-A',
    'KUBE-FIREWALL',
    '-m',
    'comment',
    '--comment',
    'kubernetes firewall for dropping marked packets',
    '-m',
    'mark',
    '--mark',
    '0x008000/0x008000',
    '-j',
    'DROP',
  ],
  [
    '-A',
    'KUBE-FIREWALL',
    '-m',
    'comment',
    '--comment',
    'block incoming localnet connections',
    '--dst',
    '127.0.0.0/8',
    '!',
    '--src',
    '127.0.0.0/8',
    '-m',
    'conntrack',
    '!',
    '--ctstate',
    'RELATED,ESTABLISHED,DNAT',
    '-j',
    'DROP',
  ],
  ['-I', 'OUTPUT', '-j', 'KUBE-FIREWALL'],
  ['-I', 'INPUT', '-j', 'KUBE-FIREWALL'],
];

/** The feature run: node-a of the lab node, iptables (or IPVS) mode, optional extra flags. */
export function featureRun(proxyMode: 'iptables' | 'ipvs', extraArgs: readonly string[] = []): KubeProxyRunSpec {
  return {
    objects: featureObjects(),
    lbIngress: FEATURE_LB_INGRESS,
    nodeName: 'node-a',
    eth0: '192.168.0.2/24',
    loAddrs: ['192.168.1.2/32', '192.168.1.5/32'],
    clusterCidr: '10.0.0.0/8',
    proxyMode,
    extraArgs,
    before: KUBELET_1_20_CHAINS,
    // Every Service with endpoints has its endpoint chains; the LoadBalancers their firewall chains.
    want: [
      ...FEATURE_SERVICES.filter((s) => s.endpoints.length > 0).map(
        (s) => new RegExp(`^-A KUBE-SEP-.*"${NS}/${s.name}:http"`, 'm'),
      ),
      /^-A KUBE-FW-.*"default\/lb-local:http loadbalancer IP"/m,
      /^-A KUBE-FW-.*"default\/lb-cluster:http loadbalancer IP"/m,
    ],
  };
}
