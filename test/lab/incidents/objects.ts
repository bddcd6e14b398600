// The Kubernetes API objects of a declared cluster, in the shapes the API server returns them
// (list items with kind and apiVersion filled in, as src/collect/kube/objects.ts stores them), so a
// snapshot's objects agree with its hosts: same node addresses, pod IPs, blocks, VTEP MACs, config.
// Shapes: core/v1 Node, Pod, Service, ConfigMap; discovery.k8s.io/v1 EndpointSlice;
// crd.projectcalico.org/v1 IPPool, BlockAffinity, FelixConfiguration (the Calico CRDs as listed
// without the Calico API server); cilium.io/v2 CiliumNode.
import { networkPolicyObject } from './felix-policy.ts';
import { createHash } from 'node:crypto';
import { emptyObjects } from '../../../src/snapshot/types.ts';
import type { KubeObject, SnapshotObjects } from '../../../src/snapshot/types.ts';
import type { ClusterDecl, NodeDecl, PodDecl, ServiceDecl } from './cluster.ts';

import { fixture } from '../../helpers/fixtures.ts';
import {
  CALICO_VNI,
  CALICO_VXLAN_PORT,
  canalConflist,
  isCalico,
  kubeRouterCniConf,
  serviceEndpoints,
  tunnelIp,
} from './cluster.ts';

const CREATED = '2024-05-13T08:12:41Z';
const K8S_VERSION = 'v1.29.4';

/** A stable UID from a name, so a re-capture gives the same objects (RFC 4122 layout, version 4 bits). */
function uid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function meta(
  name: string,
  namespace: string | undefined,
  kind: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: uid(kind, namespace ?? '', name),
    resourceVersion: String(
      1000 +
        (parseInt(
          createHash('sha1')
            .update(kind + name)
            .digest('hex')
            .slice(0, 4),
          16,
        ) %
          9000),
    ),
    creationTimestamp: CREATED,
    ...extra,
  };
}

function nodeAnnotations(d: ClusterDecl, n: NodeDecl): Record<string, string> {
  const prefixLen = n.nics.find((x) => x.addr.startsWith(`${n.ip}/`))?.addr.split('/')[1] ?? '24';
  const common = {
    'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
    'node.alpha.kubernetes.io/ttl': '0',
    'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
  };
  const flannel = {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: n.vtepMac }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': n.ip,
  };
  switch (d.cni) {
    case 'calico-vxlan':
      return {
        ...common,
        'projectcalico.org/IPv4Address': `${n.ip}/${prefixLen}`,
        'projectcalico.org/IPv4VXLANTunnelAddr': tunnelIp(n),
      };
    case 'calico-ipip':
      return {
        ...common,
        'projectcalico.org/IPv4Address': `${n.ip}/${prefixLen}`,
        'projectcalico.org/IPv4IPIPTunnelAddr': tunnelIp(n),
      };
    case 'flannel':
      return d.flannel?.k3s === true
        ? { ...flannel, 'k3s.io/hostname': n.name, 'k3s.io/internal-ip': n.ip, 'node.alpha.kubernetes.io/ttl': '0' }
        : { ...common, ...flannel };
    case 'canal':
      return { ...common, ...flannel, 'projectcalico.org/IPv4Address': `${n.ip}/${prefixLen}` };
    case 'cilium-native':
      return { ...common, 'io.cilium.network.ipv4-pod-cidr': n.podCidr };
    case 'kube-router':
      return common;
  }
}

function nodeObject(d: ClusterDecl, n: NodeDecl): KubeObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    ...(n.controlPlane === true
      ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' }
      : {}),
  };
  // Calico with its own IPAM ignores node.spec.podCIDR: the incident clusters were set up without
  // --allocate-node-cidrs, the kubeadm ones (nodePodCidrs) with --pod-network-cidr. flannel and
  // Cilium `ipam: kubernetes` use it; Cilium cluster-pool has its own (CiliumNode).
  const podCidr = d.nodePodCidrs?.[n.name] ?? (isCalico(d) ? undefined : n.podCidr);
  const spec: Record<string, unknown> = podCidr === undefined ? {} : { podCIDR: podCidr, podCIDRs: [podCidr] };
  if (n.controlPlane === true)
    spec['taints'] = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }];
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: meta(n.name, undefined, 'Node', { labels, annotations: nodeAnnotations(d, n) }),
    spec,
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [
        // kube-router does not set NetworkUnavailable (no such condition in its source).
        ...(d.cni === 'kube-router'
          ? []
          : [
              {
                type: 'NetworkUnavailable',
                status: 'False',
                reason:
                  isCalico(d) || d.cni === 'canal' ? 'CalicoIsUp' : d.cni === 'flannel' ? 'FlannelIsUp' : 'CiliumIsUp',
                message: 'network is up',
              },
            ]),
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.7.15',
        kernelVersion: '6.1.0-21-amd64',
        kubeProxyVersion: K8S_VERSION,
        kubeletVersion: K8S_VERSION,
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  };
}

function podObject(d: ClusterDecl, p: PodDecl): KubeObject {
  const node = d.nodes.find((n) => n.name === p.node)!;
  const annotations: Record<string, string> =
    isCalico(d) || d.cni === 'canal'
      ? {
          'cni.projectcalico.org/containerID': createHash('sha256').update(p.name).digest('hex'),
          'cni.projectcalico.org/podIP': `${p.ip}/32`,
          'cni.projectcalico.org/podIPs': `${p.ip}/32`,
        }
      : {};
  const proto = p.port === 53 ? 'UDP' : 'TCP';
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: meta(p.name, p.namespace, 'Pod', { labels: { app: p.app }, annotations }),
    spec: {
      nodeName: p.node,
      containers: [{ name: p.app, image: p.image, ports: [{ containerPort: p.port, protocol: proto }] }],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: 'Running',
      hostIP: node.ip,
      hostIPs: [{ ip: node.ip }],
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      startTime: CREATED,
    },
  };
}

function serviceObject(s: ServiceDecl): KubeObject {
  const spec: Record<string, unknown> = {
    type: 'ClusterIP',
    clusterIP: s.clusterIP,
    clusterIPs: [s.clusterIP],
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None',
    ports: [{ name: s.portName, port: s.port, protocol: s.protocol, targetPort: s.targetPort }],
  };
  if (s.app !== '') spec['selector'] = { app: s.app };
  if (s.externalIPs !== undefined) spec['externalIPs'] = s.externalIPs;
  if (s.nodePort !== undefined) {
    spec['type'] = 'NodePort';
    spec['ports'] = [
      { name: s.portName, port: s.port, protocol: s.protocol, targetPort: s.targetPort, nodePort: s.nodePort },
    ];
    spec['externalTrafficPolicy'] = s.externalTrafficPolicy ?? 'Cluster';
  }
  return {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: meta(
      s.name,
      s.namespace,
      'Service',
      s.app !== '' ? { labels: { app: s.app } } : { labels: { component: 'apiserver', provider: 'kubernetes' } },
    ),
    spec,
    status: { loadBalancer: {} },
  };
}

function endpointSliceObject(d: ClusterDecl, s: ServiceDecl): KubeObject {
  const eps = serviceEndpoints(d, s);
  const name = s.app === '' ? s.name : `${s.name}-${createHash('sha1').update(s.name).digest('hex').slice(0, 5)}`;
  return {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    metadata: meta(name, s.namespace, 'EndpointSlice', {
      labels: {
        'kubernetes.io/service-name': s.name,
        'endpointslice.kubernetes.io/managed-by':
          s.app === '' ? 'endpointslicemirroring-controller.k8s.io' : 'endpointslice-controller.k8s.io',
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: s.name,
          uid: uid('Service', s.namespace, s.name),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    }),
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: e.node,
      ...(e.pod !== undefined
        ? {
            targetRef: {
              kind: 'Pod',
              name: e.pod.name,
              namespace: e.pod.namespace,
              uid: uid('Pod', e.pod.namespace, e.pod.name),
            },
          }
        : {}),
    })),
    ports: [{ name: s.portName, port: s.app === '' ? 6443 : s.targetPort, protocol: s.protocol }],
  };
}

function configMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { kind: 'ConfigMap', apiVersion: 'v1', metadata: meta(name, namespace, 'ConfigMap'), data };
}

function kubeProxyConfigMap(d: ClusterDecl): KubeObject {
  const config = [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'bindAddress: 0.0.0.0',
    'clientConnection:',
    '  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf',
    `clusterCIDR: ${d.podNetwork}`,
    'conntrack:',
    '  maxPerCore: null',
    'iptables:',
    '  masqueradeAll: false',
    '  masqueradeBit: null',
    'ipvs:',
    '  excludeCIDRs: null',
    '  scheduler: ""',
    `  strictARP: ${d.kubeProxyMode === 'ipvs' ? 'true' : 'false'}`,
    'kind: KubeProxyConfiguration',
    `mode: ${d.kubeProxyMode}`,
    '',
  ].join('\n');
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    '    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    `    server: https://${d.nodes.find((n) => n.controlPlane === true)?.ip ?? ''}:6443`,
    '  name: default',
    '',
  ].join('\n');
  return configMap('kube-system', 'kube-proxy', { 'config.conf': config, 'kubeconfig.conf': kubeconfig });
}

function calicoObjects(d: ClusterDecl, o: SnapshotObjects): void {
  o.ipPools.push({
    kind: 'IPPool',
    apiVersion: 'crd.projectcalico.org/v1',
    metadata: meta('default-ipv4-ippool', undefined, 'IPPool', { generation: 1 }),
    spec: {
      allowedUses: ['Workload', 'Tunnel'],
      blockSize: 26,
      cidr: d.podNetwork,
      ipipMode: d.cni === 'calico-ipip' ? 'Always' : 'Never',
      natOutgoing: d.calico?.natOutgoing === true,
      nodeSelector: 'all()',
      vxlanMode: d.cni === 'calico-ipip' ? 'Never' : 'Always',
    },
  });
  for (const n of d.nodes) {
    o.blockAffinities.push({
      kind: 'BlockAffinity',
      apiVersion: 'crd.projectcalico.org/v1',
      metadata: meta(`${n.name}-${n.podCidr.replace(/[./]/g, '-')}`, undefined, 'BlockAffinity', { generation: 2 }),
      spec: { cidr: n.podCidr, deleted: 'false', node: n.name, state: 'confirmed' },
    });
  }
  o.felixConfigurations.push({
    kind: 'FelixConfiguration',
    apiVersion: 'crd.projectcalico.org/v1',
    metadata: meta('default', undefined, 'FelixConfiguration', { generation: 1 }),
    spec: {
      bpfEnabled: false,
      floatingIPs: 'Disabled',
      logSeverityScreen: 'Info',
      reportingInterval: '0s',
      vxlanPort: CALICO_VXLAN_PORT,
      vxlanVNI: CALICO_VNI,
    },
  });
  o.configMaps.push(
    configMap('kube-system', 'calico-config', {
      calico_backend: d.cni === 'calico-ipip' ? 'bird' : 'vxlan',
      cni_network_config:
        '{\n  "name": "k8s-pod-network",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "calico",\n      "log_level": "info",\n      "log_file_path": "/var/log/calico/cni/cni.log",\n      "datastore_type": "kubernetes",\n      "nodename": "__KUBERNETES_NODE_NAME__",\n      "mtu": __CNI_MTU__,\n      "ipam": {\n          "type": "calico-ipam"\n      },\n      "policy": {\n          "type": "k8s"\n      },\n      "kubernetes": {\n          "kubeconfig": "__KUBECONFIG_FILEPATH__"\n      }\n    },\n    {\n      "type": "portmap",\n      "snat": true,\n      "capabilities": {"portMappings": true}\n    },\n    {\n      "type": "bandwidth",\n      "capabilities": {"bandwidth": true}\n    }\n  ]\n}',
      typha_service_name: 'none',
      veth_mtu: '0',
    }),
  );
}

function ciliumObjects(d: ClusterDecl, o: SnapshotObjects): void {
  o.configMaps.push(configMap('kube-system', 'cilium-config', { ...(d.cilium?.config ?? {}) }));
  for (const n of d.nodes) {
    o.ciliumNodes.push({
      kind: 'CiliumNode',
      apiVersion: 'cilium.io/v2',
      metadata: meta(n.name, undefined, 'CiliumNode', {
        labels: { 'kubernetes.io/hostname': n.name },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: uid('Node', '', n.name) }],
      }),
      spec: {
        addresses: [
          { ip: n.ip, type: 'InternalIP' },
          { ip: `${n.podCidr.split('/')[0]!.replace(/\.0$/, '.1')}`, type: 'CiliumInternalIP' },
        ],
        ipam: { podCIDRs: [n.podCidr] },
      },
      status: { ipam: { 'operator-status': {} } },
    });
  }
}

function canalObjects(d: ClusterDecl, o: SnapshotObjects): void {
  const netConf = JSON.stringify({ Network: d.podNetwork, Backend: { Type: 'vxlan' } }, null, 2);
  const first = d.nodes[0];
  const cniConf =
    first !== undefined
      ? canalConflist({ ...d, canal: {} }, first).replace(
          `"nodename": "${first.name}"`,
          '"nodename": "__KUBERNETES_NODE_NAME__"',
        )
      : '';
  o.configMaps.push(
    configMap('kube-flannel', 'kube-flannel-cfg', { 'cni-conf.json': cniConf, 'net-conf.json': netConf }),
  );
}

/** kube-flannel's ConfigMap (kube-flannel.yml): the CNI conflist it installs and the network. */
function flannelObjects(d: ClusterDecl, o: SnapshotObjects): void {
  if (d.flannel?.k3s === true) return; // k3s runs flannel inside its agent, configured by flags
  const netConf = JSON.stringify({ Network: d.podNetwork, Backend: { Type: 'vxlan' } }, null, 2);
  o.configMaps.push(
    configMap('kube-flannel', 'kube-flannel-cfg', {
      'cni-conf.json': fixture('cni/10-flannel.conflist'),
      'net-conf.json': netConf,
    }),
  );
}

/** The CNI agent's DaemonSet pods: host network, one per node, the image whose tag is the release. */
function agentPods(d: ClusterDecl): KubeObject[] {
  if (d.agentImage === undefined) return [];
  const app = isCalico(d)
    ? 'calico-node'
    : d.cni === 'cilium-native'
      ? 'cilium'
      : d.cni === 'canal'
        ? 'canal'
        : d.cni === 'kube-router'
          ? 'kube-router'
          : 'flannel';
  const namespace = d.cni === 'flannel' ? 'kube-flannel' : 'kube-system';
  const prefix = d.cni === 'flannel' ? 'kube-flannel-ds' : app;
  return d.nodes.map((n) => {
    const suffix = createHash('sha1').update(`${app}/${n.name}`).digest('hex').replace(/[0-9]/g, '').padEnd(5, 'x');
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: meta(`${prefix}-${suffix.slice(0, 5)}`, namespace, 'Pod', { labels: { 'k8s-app': app, app } }),
      spec: {
        nodeName: n.name,
        hostNetwork: true,
        containers: [{ name: app, image: d.agentImage, ...(d.agentArgs !== undefined ? { args: d.agentArgs } : {}) }],
      },
      status: { phase: 'Running', hostIP: n.ip, podIP: n.ip, podIPs: [{ ip: n.ip }] },
    };
  });
}

/** Every object of the cluster, sorted as a list call returns them (by namespace, then name). */
export function objectsOf(d: ClusterDecl): SnapshotObjects {
  const o = emptyObjects();
  o.nodes = d.nodes.map((n) => nodeObject(d, n));
  o.pods = [...d.pods.map((p) => podObject(d, p)), ...agentPods(d)];
  o.services = d.services.map(serviceObject);
  o.endpointSlices = d.services.map((s) => endpointSliceObject(d, s));
  // k3s runs kube-proxy inside its agent, configured by flags: no ConfigMap.
  if (d.flannel?.k3s !== true) o.configMaps.push(kubeProxyConfigMap(d));
  o.networkPolicies = (d.networkPolicies ?? []).map(networkPolicyObject);
  if (isCalico(d)) calicoObjects(d, o);
  if (d.cni === 'flannel') flannelObjects(d, o);
  if (d.cni === 'cilium-native') ciliumObjects(d, o);
  if (d.cni === 'canal') canalObjects(d, o);
  if (d.cni === 'kube-router')
    o.configMaps.push(configMap('kube-system', 'kube-router-cfg', { 'cni-conf.json': kubeRouterCniConf(d) }));
  const key = (x: KubeObject) => {
    const m = x['metadata'] as { namespace?: string; name?: string };
    return `${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  for (const list of Object.values(o)) list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return o;
}
