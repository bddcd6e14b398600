// The healthy clusters the incidents start from. All three sit on one office LAN
// (192.168.1.0/24) with a router (192.168.1.1) and a LAN host (192.168.1.50); three nodes,
// node-a being the control plane.
import type { ClusterDecl, NodeDecl, PodDecl, ServiceDecl } from './cluster.ts';

const LAN = { name: 'lan', cidr: '192.168.1.0/24' };

function nodes(blocks: readonly [string, string, string], macs: readonly [string, string, string]): NodeDecl[] {
  return (['a', 'b', 'c'] as const).map((x, i) => ({
    name: `node-${x}`,
    ip: `192.168.1.${11 + i}`,
    nics: [{ dev: 'eth0', addr: `192.168.1.${11 + i}/24`, segment: 'lan' }],
    podCidr: blocks[i]!,
    vtepMac: macs[i]!,
    ...(i === 0 ? { controlPlane: true } : {}),
  }));
}

function pod(
  namespace: string,
  name: string,
  node: string,
  ip: string,
  app: string,
  port: number,
  image: string,
): PodDecl {
  return { namespace, name, node, ip, app, port, image };
}

const KUBERNETES: ServiceDecl = {
  namespace: 'default',
  name: 'kubernetes',
  app: '',
  clusterIP: '10.96.0.1',
  port: 443,
  targetPort: 6443,
  protocol: 'TCP',
  portName: 'https',
};

/** One more Service some incidents add: `client` (udp/8080), whose one endpoint is client-0 on node-a. */
export const CLIENT_SERVICE: ServiceDecl = {
  namespace: 'default',
  name: 'client',
  app: 'client',
  clusterIP: '10.96.33.3',
  port: 8080,
  targetPort: 8080,
  protocol: 'UDP',
  portName: 'app',
};

/**
 * Calico VXLAN, pool 10.65.0.0/16 in /26 blocks, natOutgoing on (Calico's default). The LAN
 * router has a static route for the pool via node-a, as in docs/incidents.md #1.
 */
export function calicoHealthy(): ClusterDecl {
  return {
    name: 'healthy',
    cni: 'calico-vxlan',
    segments: [LAN],
    router: {
      name: 'lan-router',
      nics: [{ dev: 'eth0', addr: '192.168.1.1/24', segment: 'lan' }],
      routes: ['10.65.0.0/16 via 192.168.1.11 dev eth0'],
    },
    lanHosts: [{ name: 'lan-pc', addr: '192.168.1.50/24', segment: 'lan', gateway: '192.168.1.1' }],
    nodes: nodes(
      ['10.65.0.0/26', '10.65.0.64/26', '10.65.0.128/26'],
      ['66:8e:3a:1c:0a:11', '66:8e:3a:1c:0a:12', '66:8e:3a:1c:0a:13'],
    ),
    pods: [
      pod('default', 'client-0', 'node-a', '10.65.0.2', 'client', 8080, 'docker.io/library/busybox:1.36'),
      pod('default', 'web-1', 'node-b', '10.65.0.66', 'web', 8080, 'docker.io/library/nginx:1.25'),
      pod('default', 'web-0', 'node-c', '10.65.0.130', 'web', 8080, 'docker.io/library/nginx:1.25'),
    ],
    services: [
      KUBERNETES,
      {
        namespace: 'default',
        name: 'web',
        app: 'web',
        clusterIP: '10.96.120.15',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        portName: 'http',
      },
    ],
    podNetwork: '10.65.0.0/16',
    serviceCidr: '10.96.0.0/12',
    kubeProxyMode: 'iptables',
    calico: { natOutgoing: true, vxlanLocal: true },
  };
}

/**
 * Cilium native routing (pod CIDRs announced to the LAN router by BGP), masquerading off: the
 * MySQL server on the LAN sees pod addresses, which its grants allow (docs/incidents.md #5).
 */
export function ciliumHealthy(): ClusterDecl {
  return {
    name: 'cilium-healthy',
    cni: 'cilium-native',
    segments: [LAN],
    router: {
      name: 'lan-router',
      nics: [{ dev: 'eth0', addr: '192.168.1.1/24', segment: 'lan' }],
      routes: [
        '10.0.1.0/24 via 192.168.1.11 dev eth0 proto bgp',
        '10.0.2.0/24 via 192.168.1.12 dev eth0 proto bgp',
        '10.0.3.0/24 via 192.168.1.13 dev eth0 proto bgp',
      ],
    },
    lanHosts: [{ name: 'mysql', addr: '192.168.1.50/24', segment: 'lan', gateway: '192.168.1.1' }],
    nodes: nodes(
      ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'],
      ['02:00:00:00:0b:11', '02:00:00:00:0b:12', '02:00:00:00:0b:13'],
    ),
    pods: [
      pod('default', 'orders-0', 'node-c', '10.0.3.21', 'orders', 8080, 'registry.example.com/shop/orders:4.2.0'),
      pod('default', 'billing-0', 'node-a', '10.0.1.34', 'billing', 8080, 'registry.example.com/shop/billing:2.9.1'),
    ],
    services: [
      KUBERNETES,
      {
        namespace: 'default',
        name: 'orders',
        app: 'orders',
        clusterIP: '10.96.44.7',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        portName: 'http',
      },
    ],
    podNetwork: '10.0.0.0/16',
    serviceCidr: '10.96.0.0/12',
    kubeProxyMode: 'iptables',
    cilium: {
      config: {
        'cluster-pool-ipv4-cidr': '10.0.0.0/16',
        'cluster-pool-ipv4-mask-size': '24',
        ipam: 'cluster-pool',
        tunnel: 'disabled',
        'auto-direct-node-routes': 'true',
        'ipv4-native-routing-cidr': '10.0.0.0/16',
        'enable-ipv4-masquerade': 'false',
        'enable-bpf-masquerade': 'false',
        'enable-ipv4': 'true',
        'enable-ipv6': 'false',
        'kube-proxy-replacement': 'disabled',
      },
    },
  };
}

/** Canal: flannel VXLAN (10.1.0.0/16, one /24 per node) with Calico's CNI plugin and host-local IPAM. */
export function canalHealthy(): ClusterDecl {
  return {
    name: 'canal-healthy',
    cni: 'canal',
    segments: [LAN],
    router: { name: 'lan-router', nics: [{ dev: 'eth0', addr: '192.168.1.1/24', segment: 'lan' }], routes: [] },
    lanHosts: [{ name: 'lan-pc', addr: '192.168.1.50/24', segment: 'lan', gateway: '192.168.1.1' }],
    nodes: nodes(
      ['10.1.1.0/24', '10.1.2.0/24', '10.1.3.0/24'],
      ['d6:51:2e:7f:3a:11', 'd6:51:2e:7f:3a:12', 'd6:51:2e:7f:3a:13'],
    ),
    pods: [
      pod(
        'kube-system',
        'coredns-5dd5756b68-7xq2k',
        'node-a',
        '10.1.1.10',
        'kube-dns',
        53,
        'registry.k8s.io/coredns/coredns:v1.11.1',
      ),
      pod('default', 'api-1', 'node-b', '10.1.2.7', 'api', 8080, 'registry.example.com/shop/api:1.4.0'),
      pod('default', 'api-0', 'node-c', '10.1.3.5', 'api', 8080, 'registry.example.com/shop/api:1.4.0'),
    ],
    services: [
      KUBERNETES,
      {
        namespace: 'kube-system',
        name: 'kube-dns',
        app: 'kube-dns',
        clusterIP: '10.96.0.10',
        port: 53,
        targetPort: 53,
        protocol: 'UDP',
        portName: 'dns',
      },
      {
        namespace: 'default',
        name: 'api',
        app: 'api',
        clusterIP: '10.96.88.20',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        portName: 'http',
      },
    ],
    podNetwork: '10.1.0.0/16',
    serviceCidr: '10.96.0.0/12',
    kubeProxyMode: 'iptables',
    canal: {},
  };
}

/** The three nodes' node.spec.podCIDR from kubeadm init --pod-network-cidr=10.244.0.0/16. */
const KUBEADM_POD_CIDRS: Readonly<Record<string, string>> = {
  'node-a': '10.244.0.0/24',
  'node-b': '10.244.1.0/24',
  'node-c': '10.244.2.0/24',
};

/**
 * kubeadm + Calico: the controller-manager gives every Node a podCIDR (--pod-network-cidr), which
 * calico-ipam ignores: pods get addresses from the IPPool's /26 blocks.
 */
export function kubeadmCalico(mode: 'vxlan' | 'ipip'): ClusterDecl {
  const d = calicoHealthy();
  d.name = `kubeadm-calico-${mode}`;
  d.cni = mode === 'vxlan' ? 'calico-vxlan' : 'calico-ipip';
  d.nodePodCidrs = { ...KUBEADM_POD_CIDRS };
  d.agentImage = 'docker.io/calico/node:v3.27.3';
  return d;
}

/**
 * flannel's VXLAN backend with its CNI plugin: pods on cni0 with host-local addresses from
 * subnet.env, which flanneld (--kube-subnet-mgr) writes from node.spec.podCIDR. `k3s`: the
 * flannel k3s embeds, on k3s's default networks (10.42.0.0/16, Services 10.43.0.0/16).
 */
export function flannelHealthy(k3s: boolean): ClusterDecl {
  const net = k3s ? '10.42' : '10.244';
  const d: ClusterDecl = {
    name: k3s ? 'k3s-flannel' : 'kubeadm-flannel',
    cni: 'flannel',
    segments: [LAN],
    router: { name: 'lan-router', nics: [{ dev: 'eth0', addr: '192.168.1.1/24', segment: 'lan' }], routes: [] },
    lanHosts: [{ name: 'lan-pc', addr: '192.168.1.50/24', segment: 'lan', gateway: '192.168.1.1' }],
    nodes: nodes(
      [`${net}.0.0/24`, `${net}.1.0/24`, `${net}.2.0/24`],
      ['4e:1f:0a:6b:22:11', '4e:1f:0a:6b:22:12', '4e:1f:0a:6b:22:13'],
    ),
    pods: [
      pod('default', 'client-0', 'node-a', `${net}.0.2`, 'client', 8080, 'docker.io/library/busybox:1.36'),
      pod('default', 'web-1', 'node-b', `${net}.1.3`, 'web', 8080, 'docker.io/library/nginx:1.25'),
      pod('default', 'web-0', 'node-c', `${net}.2.4`, 'web', 8080, 'docker.io/library/nginx:1.25'),
    ],
    services: [
      { ...KUBERNETES, clusterIP: k3s ? '10.43.0.1' : KUBERNETES.clusterIP },
      {
        namespace: 'default',
        name: 'web',
        app: 'web',
        clusterIP: k3s ? '10.43.120.15' : '10.96.120.15',
        port: 80,
        targetPort: 8080,
        protocol: 'TCP',
        portName: 'http',
      },
    ],
    podNetwork: `${net}.0.0/16`,
    serviceCidr: k3s ? '10.43.0.0/16' : '10.96.0.0/12',
    kubeProxyMode: 'iptables',
    flannel: { k3s },
    agentImage: k3s ? 'docker.io/rancher/k3s:v1.29.4-k3s1' : 'docker.io/flannel/flannel:v0.25.1',
  };
  // k3s runs flannel inside the k3s agent: no separate flannel pod.
  if (k3s) delete d.agentImage;
  return d;
}

/** Canal with the manifest's conflist (the subnet written in from the lease, as CDK did). */
export function canalInstall(): ClusterDecl {
  const d = canalHealthy();
  d.agentImage = 'docker.io/calico/node:v3.27.3';
  return d;
}

/**
 * Cilium native routing on kubeadm. `kubernetes`: pods get addresses from node.spec.podCIDR
 * (--pod-network-cidr 10.244.0.0/16). `cluster-pool`: the operator carves 10.0.x.0/24 per node
 * out of cluster-pool-ipv4-cidr into CiliumNode, and the controller-manager's podCIDRs go unused.
 */
export function ciliumInstall(ipam: 'kubernetes' | 'cluster-pool'): ClusterDecl {
  const d = ciliumHealthy();
  d.name = `cilium-${ipam}`;
  d.agentImage = 'quay.io/cilium/cilium:v1.15.6';
  if (ipam === 'cluster-pool') {
    d.nodePodCidrs = { ...KUBEADM_POD_CIDRS };
    return d;
  }
  const re = (s: string) => s.replace(/^10\.0\.(\d+)\./, (_m, x: string) => `10.244.${Number(x) - 1}.`);
  for (const n of d.nodes) n.podCidr = re(n.podCidr);
  for (const p of d.pods) p.ip = re(p.ip);
  d.router.routes = d.nodes.map((n) => `${n.podCidr} via ${n.ip} dev eth0 proto bgp`);
  d.podNetwork = '10.244.0.0/16';
  const config: Record<string, string> = {
    ...d.cilium!.config,
    ipam: 'kubernetes',
    'ipv4-native-routing-cidr': '10.244.0.0/16',
  };
  delete config['cluster-pool-ipv4-cidr'];
  delete config['cluster-pool-ipv4-mask-size'];
  d.cilium = { config };
  return d;
}

/**
 * kube-router as daemonset/kubeadm-kuberouter.yaml installs it on kubeadm (--pod-network-cidr
 * 10.244.0.0/16): pod routing and NetworkPolicy by kube-router, Services by kubeadm's kube-proxy
 * (iptables mode), the manifest's args. The nodes share one subnet, so pod traffic is routed
 * directly (no tunnels). The manifest leaves the bridge plugin's hairpinMode off, which breaks a
 * pod reaching itself through a Service (netcheck's hairpin-mode-off, rightly); this cluster has
 * it on, as kube-router's user guide asks and its all-features manifests ship. NetworkPolicy
 * default/client-from-web admits the web pods to client-0 on udp/8080 (the ring's web-0 → client-0).
 */
export function kubeRouterInstall(): ClusterDecl {
  const d = flannelHealthy(false);
  d.name = 'kubeadm-kube-router';
  d.cni = 'kube-router';
  delete d.flannel;
  d.agentImage = 'docker.io/cloudnativelabs/kube-router:v2.11.0';
  d.kubeRouter = { hairpinMode: true };
  // One ingress policy, so the nodes carry a KUBE-NWPLCY-* chain besides every pod's KUBE-POD-FW-*.
  d.networkPolicies = [
    { namespace: 'default', name: 'client-from-web', app: 'client', from: ['web'], protocol: 'UDP', port: 8080 },
  ];
  d.agentArgs = [
    '--run-router=true',
    '--run-firewall=true',
    '--run-service-proxy=false',
    '--bgp-graceful-restart=true',
  ];
  return d;
}
