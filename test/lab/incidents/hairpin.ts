// Hairpin (issue #12): a pod reaching itself through a Service, on flannel's cni0 bridge with
// br_netfilter on (kubeadm's requirement). kube-flannel's conflist asks the bridge plugin for
// hairpinMode, which sets each pod's port's hairpin flag; without it the DNATed frame is bridged
// back toward the port it came in on and the bridge drops it (net/bridge/br_forward.c
// should_deliver). One more Service, `client` (udp/8080, one endpoint: client-0 on node-a), so
// the flow has one branch. Every combination of the kernel's switches is in test/lab/hairpin.test.ts.
import { CLIENT_SERVICE, flannelHealthy } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { FlowCase, Scenario } from './scenario.ts';

const CLIENT_SVC = CLIENT_SERVICE.clusterIP;

const WEB_1 = '10.244.1.3';

function withClientService(name: string, hairpinMode: boolean): ClusterDecl {
  const d = flannelHealthy(false);
  d.name = name;
  d.flannel = { ...d.flannel, hairpinMode };
  d.services.push(CLIENT_SERVICE);
  return d;
}

const otherPod: FlowCase = {
  label: `web-1 (node-b) → Service client (${CLIENT_SVC}): another pod reaches client-0`,
  from: 'web-1',
  dst: CLIENT_SVC,
  proto: 'udp',
  dport: 8080,
  expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: WEB_1 },
};

export const hairpinModeOn: Scenario = {
  decl: withClientService('hairpin-mode-on', true),
  title: 'A pod reaches itself through its Service (bridge ports in hairpin mode)',
  node: '-',
  summary:
    "kubeadm + flannel as installed: the bridge plugin's hairpinMode (kube-flannel's conflist) puts every pod's cni0 port in hairpin mode, so client-0's packet to its own Service, DNATed back to itself and bridged (br_netfilter on), may leave by the port it came in on; kube-proxy masquerades it (KUBE-SEP -s 10.244.0.2/32 -j KUBE-MARK-MASQ), so the answer comes back through node-a's conntrack. doctor is healthy.",
  flows: [
    {
      label: `client-0 (node-a) → Service client (${CLIENT_SVC}): its only endpoint is itself, and it answers`,
      from: 'client-0',
      dst: CLIENT_SVC,
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '10.244.0.1' },
    },
    otherPod,
  ],
};

export const hairpinModeOff: Scenario = {
  decl: withClientService('hairpin-mode-off', false),
  title: "A pod cannot reach itself through its Service: its bridge port's hairpin is off",
  node: 'node-a (client-0 behind cni0)',
  summary: `The flannel conflist sets "hairpinMode": false, so the bridge plugin leaves the pods' cni0 ports without hairpin. client-0's packet to its Service client (${CLIENT_SVC}) is DNATed by kube-proxy to client-0 itself in br_netfilter's PREROUTING; the new destination is routed out of cni0, the bridge it came from, so it is bridged back toward its ingress port, and the bridge drops it. Other pods (web-1) reach the Service; the endpoint itself times out. The trace names cni0 and the port (hairpin-mode-off), the fix is hairpinMode: true; doctor reports the ports without hairpin on every node.`,
  flows: [
    {
      label: `client-0 (node-a) → Service client (${CLIENT_SVC}): bridged back to its own port, dropped by cni0`,
      from: 'client-0',
      dst: CLIENT_SVC,
      proto: 'udp',
      dport: 8080,
      expect: { forward: false, reply: false },
      decisive: { direction: 'forward', node: 'node-a', step: 'bridge', evidence: 'hairpin off' },
    },
    otherPod,
  ],
};
