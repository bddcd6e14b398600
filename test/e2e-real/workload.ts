// What the real cluster holds for the suite: two pods on the real node (a web server and a
// client), Services (one selecting the web pod, one without selector backed by a hand-written
// v1beta1 EndpointSlice: 1.20 serves no discovery.k8s.io/v1), a NetworkPolicy, the kube-proxy
// ConfigMap, and Calico's own CRDs with an IPPool, a BlockAffinity and a FelixConfiguration
// (Calico's BGPConfiguration CRD is refused by 1.20, so that kind stays unserved).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const pod = (name: string, app: string, command: string[]) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default, labels: {app: ${app}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: docker.io/library/busybox:latest
    imagePullPolicy: Never
    command: ${JSON.stringify(command)}
`;

export const WORKLOAD = [
  pod('web', 'web', ['httpd', '-f', '-p', '8080']),
  pod('client', 'client', ['sleep', '86400']),
  `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: 8080, protocol: TCP}]
`,
  `
apiVersion: v1
kind: Service
metadata: {name: lan-db, namespace: default}
spec:
  ports: [{name: mysql, port: 3306, protocol: TCP}]
`,
  `
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata: {name: lan-db-1, namespace: default, labels: {kubernetes.io/service-name: lan-db}}
addressType: IPv4
endpoints:
- addresses: [192.0.2.50]
  conditions: {ready: true}
  topology: {kubernetes.io/hostname: localhost}
ports: [{name: mysql, port: 3306, protocol: TCP}]
`,
  `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-client, namespace: default}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080, protocol: TCP}]
`,
  `
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-proxy, namespace: kube-system}
data:
  config.conf: |
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    mode: iptables
    clusterCIDR: 10.244.0.0/16
`,
].join('\n---\n');

export const CALICO_KINDS = ['ippools', 'blockaffinities', 'felixconfigurations', 'bgpconfigurations'];

/** Calico's CRDs, from shared/k8s-crds/calico next to shared/k8s. */
export function calicoCrds(sharedK8s: string): string {
  return CALICO_KINDS.map((k) => readFileSync(join(sharedK8s, '..', 'k8s-crds', 'calico', `${k}.yaml`), 'utf8')).join(
    '\n---\n',
  );
}

export const CALICO_OBJECTS = `
apiVersion: crd.projectcalico.org/v1
kind: IPPool
metadata: {name: default-ipv4-ippool}
spec: {cidr: 10.244.0.0/16, blockSize: 24, ipipMode: Never, vxlanMode: Never, natOutgoing: true, nodeSelector: all()}
---
apiVersion: crd.projectcalico.org/v1
kind: BlockAffinity
metadata: {name: localhost-10-244-1-0-24}
spec: {node: localhost, cidr: 10.244.1.0/24, state: confirmed, deleted: "false"}
---
apiVersion: crd.projectcalico.org/v1
kind: FelixConfiguration
metadata: {name: default}
spec: {bpfEnabled: false, logSeverityScreen: Info}
`;
