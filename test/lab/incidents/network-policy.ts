// NetworkPolicy on the healthy Calico VXLAN cluster, rendered by felix into iptables
// (felix-policy.ts): the kernel enforces the real chains, the engine walks them, and netcheck's
// reading of the policy objects must agree with both.
import { calicoHealthy } from './base.ts';
import type { ClusterDecl } from './cluster.ts';
import type { NetworkPolicyDecl } from './felix-policy.ts';
import type { FlowCase, Scenario } from './scenario.ts';

function withPolicy(name: string, p: NetworkPolicyDecl): ClusterDecl {
  const d = calicoHealthy();
  d.name = name;
  d.networkPolicies = [p];
  return d;
}

const clientToWeb0 = { from: 'client-0', dst: '10.65.0.130', proto: 'udp', dport: 8080 } as const;
const web0ToClient: FlowCase = {
  label: 'web-0 (node-c) → client-0 (node-a): works (client-0 is selected by no policy)',
  from: 'web-0',
  dst: '10.65.0.2',
  proto: 'udp',
  dport: 8080,
  expect: { forward: true, reply: true, receivedBy: 'client-0', seenSrc: '10.65.0.130' },
};

export const networkPolicyAllow: Scenario = {
  decl: withPolicy('networkpolicy-allow', {
    namespace: 'default',
    name: 'web-from-client',
    app: 'web',
    from: ['client'],
    protocol: 'UDP',
    port: 8080,
  }),
  title: 'A NetworkPolicy that admits the client (healthy)',
  node: '-',
  summary:
    'NetworkPolicy default/web-from-client selects the web pods and admits app=client on udp/8080; felix renders it into cali-tw-*/cali-pi-* chains on node-b and node-c. client-0 reaches both web pods, and the objects say the same.',
  flows: [
    {
      ...clientToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): admitted by default/web-from-client',
      expect: { forward: true, reply: true, receivedBy: 'web-0', seenSrc: '10.65.0.2' },
    },
    {
      label: 'client-0 (node-a) → web-1 (node-b): admitted',
      from: 'client-0',
      dst: '10.65.0.66',
      proto: 'udp',
      dport: 8080,
      expect: { forward: true, reply: true, receivedBy: 'web-1', seenSrc: '10.65.0.2' },
    },
    web0ToClient,
  ],
};

export const networkPolicyDeny: Scenario = {
  decl: withPolicy('networkpolicy-deny', {
    namespace: 'default',
    name: 'web-from-frontend',
    app: 'web',
    from: ['frontend'],
    protocol: 'UDP',
    port: 8080,
  }),
  title: 'A NetworkPolicy that admits only app=frontend drops the client',
  node: 'node-c',
  summary:
    'NetworkPolicy default/web-from-frontend selects the web pods and admits only app=frontend on udp/8080. client-0 (app=client) is dropped on node-c by felix\'s "End of tier default. Drop if no policies passed packet" rule in web-0\'s cali-tw chain; answers from the web pods to client-0 still work.',
  flows: [
    {
      ...clientToWeb0,
      label: 'client-0 (node-a) → web-0 (node-c): dropped by the policy on node-c',
      expect: { forward: false, reply: false },
      decisive: {
        direction: 'forward',
        node: 'node-c',
        step: 'forward',
        evidence: 'Drop if no policies passed packet',
      },
    },
    web0ToClient,
  ],
};
