// Healthy clusters as the common installers leave them (issue #10): kubeadm + Calico VXLAN and
// IPIP (node.spec.podCIDR allocated, unused by calico-ipam), kubeadm + flannel, k3s's embedded
// flannel, Canal, Cilium with `ipam: kubernetes` and with `cluster-pool`. Every pod reaches every
// other pod; netcheck must report nothing on any of them.
import { canalInstall, ciliumInstall, flannelHealthy, kubeadmCalico, kubeRouterInstall } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';

/** Each pod to the next one (a → b → c → a): every node sends to and receives from another. */
function podRing(d: ClusterDecl): FlowCase[] {
  return d.pods.map((from, i) => {
    const to = d.pods[(i + 1) % d.pods.length]!;
    return {
      label: `${from.name} (${from.node}) → ${to.name} (${to.node})`,
      from: from.name,
      dst: to.ip,
      proto: i % 2 === 0 ? 'udp' : 'tcp',
      dport: to.port,
      expect: { forward: true, reply: true, receivedBy: to.name, seenSrc: from.ip },
    };
  });
}

function installer(decl: ClusterDecl, title: string, summary: string): Scenario {
  return { decl, title, node: '-', summary, flows: podRing(decl) };
}

export const kubeadmCalicoVxlan = installer(
  kubeadmCalico('vxlan'),
  'kubeadm + Calico VXLAN (healthy)',
  "kubeadm init --pod-network-cidr=10.244.0.0/16 made the controller-manager give every Node a spec.podCIDR (10.244.0.0/24, .1, .2); Calico's IPAM (calico-ipam) ignores it and hands out /26 blocks of the IPPool 10.65.0.0/16 (BlockAffinity). Nothing is broken: netcheck takes the blocks as the pod ranges, not the podCIDRs.",
);

export const kubeadmCalicoIpip = installer(
  kubeadmCalico('ipip'),
  'kubeadm + Calico IPIP (healthy; VXLAN stand-in)',
  "As kubeadm-calico-vxlan, with an IPIP pool (ipipMode: Always, BGP). The lab kernel has no IPIP driver, so the packets are carried by vxlan.calico (the VXLAN stand-in): the objects are an IPIP install's, the nodes' tunnel device is VXLAN.",
);

export const kubeadmFlannel = installer(
  flannelHealthy(false),
  'kubeadm + flannel (healthy)',
  "kube-flannel (VXLAN, --kube-subnet-mgr): each node's lease is its node.spec.podCIDR, written to /run/flannel/subnet.env; flannel's CNI plugin puts pods on the cni0 bridge with host-local addresses from it (cni0 holds the gateway, 10.244.x.1/24).",
);

export const k3sFlannel = installer(
  flannelHealthy(true),
  'k3s-style flannel + host-local (healthy)',
  "The flannel k3s embeds: no kube-flannel or kube-proxy ConfigMap, the CNI conflist k3s writes under /var/lib/rancher/k3s/agent/etc/cni/net.d (its containerd's conf dir; /etc/cni/net.d is absent), pods on cni0 with host-local addresses from subnet.env (10.42.x.0/24); detected from the conflist, subnet.env and the nodes' flannel annotations.",
);

export const canalInstalled = installer(
  canalInstall(),
  'Canal (healthy)',
  "flannel VXLAN routes 10.1.0.0/16, Calico's CNI plugin attaches pods with host-local addresses from the subnet written into the conflist, which agrees with flannel's lease on every node.",
);

export const ciliumKubernetesIpam = installer(
  ciliumInstall('kubernetes'),
  'Cilium native routing, ipam: kubernetes (healthy)',
  "Cilium takes each node's pod CIDR from node.spec.podCIDR (10.244.x.0/24, kubeadm --pod-network-cidr); native routing, the LAN router learns the pod CIDRs by BGP.",
);

export const ciliumClusterPool = installer(
  ciliumInstall('cluster-pool'),
  'Cilium native routing, ipam: cluster-pool (healthy)',
  "Cilium's operator gives each node a /24 of cluster-pool-ipv4-cidr 10.0.0.0/16 in its CiliumNode; the podCIDRs kubeadm's controller-manager allocated anyway (10.244.x.0/24) are unused.",
);

const kubeRouterRing = installer(
  kubeRouterInstall(),
  'kubeadm + kube-router (healthy)',
  "daemonset/kubeadm-kuberouter.yaml: kube-router routes the pods (--run-router) and enforces NetworkPolicy (--run-firewall), kubeadm's kube-proxy keeps the Services (--run-service-proxy=false); the bridge plugin's hairpinMode on, as kube-router's user guide asks (the manifest leaves it off). Pods on kube-bridge with host-local addresses from node.spec.podCIDR, which kube-router writes into /etc/cni/net.d/10-kuberouter.conflist; the nodes share 192.168.1.0/24, so each peer's pod CIDR is a direct route (proto 17, no tun-* tunnel). kube-router's NetworkPolicy chains: a KUBE-POD-FW-* chain for every pod, and NetworkPolicy default/client-from-web (app=client admits app=web on udp/8080) as a KUBE-NWPLCY-* chain with its KUBE-SRC-*/KUBE-DST-* ipsets. TCP from the web pods to client-0 is refused by it (it admits UDP only), as the kernel does.",
);

/** The ring, and TCP from a web pod to client-0, which default/client-from-web does not admit (UDP only). */
export const kubeadmKubeRouter: Scenario = {
  ...kubeRouterRing,
  flows: [
    ...kubeRouterRing.flows,
    {
      label: 'web-1 (node-b) → client-0 (node-a) over TCP: refused by default/client-from-web on node-a',
      from: 'web-1',
      dst: '10.244.0.2',
      proto: 'tcp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-a', step: 'forward', evidence: 'default/client-0 reject' },
    },
  ],
};

/** Every installer shape, in the order examples/README.md lists them. */
export const INSTALLERS: readonly Scenario[] = [
  kubeadmCalicoVxlan,
  kubeadmCalicoIpip,
  kubeadmFlannel,
  k3sFlannel,
  canalInstalled,
  ciliumKubernetesIpam,
  ciliumClusterPool,
  kubeadmKubeRouter,
];
